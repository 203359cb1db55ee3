import t from 'tap'
import { sendCommand } from '../../src/cli/send.js'
import { capture, listeningGateway } from '../fixtures/cli.js'
import { storedEvents } from '../fixtures/events.js'

const stored = (app: Awaited<ReturnType<typeof listeningGateway>>['app']) => storedEvents(app)

t.test('send posts a correctly signed Clerk sample that the gateway accepts', async (t) => {
  const { app, url, configFile } = await listeningGateway(t)
  const io = capture()
  t.equal(await sendCommand(['clerk', '--config', configFile], io), 0, io.stderr())
  t.match(io.stdout(), new RegExp(`^sent user\\.created to ${url}/webhooks/clerk: 200, event evt_\\S+\\n$`), 'the URL comes from the config\'s port')
  t.match(await stored(app), [{ source: 'clerk', type: 'user.created', subject: /^user_/ }])
})

t.test('send signs the Chaindoc way, with the type asked for, and --json prints the answer', async (t) => {
  const { app, url, configFile } = await listeningGateway(t)
  const io = capture({ HOOKGATE_CONFIG: configFile })
  t.equal(await sendCommand(['chaindoc', '--type', 'contract.signed', '--url', url, '--json'], io), 0, io.stderr())
  t.match(JSON.parse(io.stdout()), { id: /^evt_/, duplicate: false })
  t.match(await stored(app), [{ source: 'chaindoc', type: 'contract.signed' }])
})

t.test('send takes the URL from --url, then HOOKGATE_URL, then the config', async (t) => {
  const { url, configFile } = await listeningGateway(t)
  const env = capture({ HOOKGATE_URL: 'http://127.0.0.1:9' })
  t.equal(await sendCommand(['clerk', '--config', configFile], env), 1)
  t.match(env.stderr(), 'cannot reach http://127.0.0.1:9/webhooks/clerk', 'HOOKGATE_URL over the config')
  const flag = capture({ HOOKGATE_URL: 'http://127.0.0.1:9' })
  t.equal(await sendCommand(['clerk', '--config', configFile, '--url', url + '/'], flag), 0, '--url over HOOKGATE_URL')
})

t.test('send reports a refusal with its code and exits 1', async (t) => {
  const { configFile } = await listeningGateway(t, { clerkSecret: 'whsec_' + Buffer.alloc(24, 3).toString('base64') })
  const io = capture()
  t.equal(await sendCommand(['clerk', '--config', configFile], io), 1)
  t.match(io.stderr(), /^hookgate send: http:\/\/127\.0\.0\.1:\d+\/webhooks\/clerk answered 401 HG_ERR_SIGNATURE_INVALID No matching signature\n$/)
})

t.test('send refuses an unknown source (exit 2), no configuration and an unreachable gateway (exit 1)', async (t) => {
  const { configFile } = await listeningGateway(t)
  const unknown = capture()
  t.equal(await sendCommand(['stripe', '--config', configFile], unknown), 2)
  t.match(unknown.stderr(), "no source 'stripe' in the configuration; sources: clerk, chaindoc")
  const bare = capture()
  t.equal(await sendCommand(['--config', configFile], bare), 2)
  t.match(bare.stderr(), 'usage: hookgate send <source>')
  const away = capture()
  t.equal(await sendCommand(['clerk', '--config', configFile, '--url', 'http://127.0.0.1:9'], away), 1)
  t.match(away.stderr(), 'cannot reach http://127.0.0.1:9/webhooks/clerk')
  const flag = capture()
  t.equal(await sendCommand(['clerk', '--config', configFile, '--secret', 'x'], flag), 2, 'an unknown flag is a usage error')
})
