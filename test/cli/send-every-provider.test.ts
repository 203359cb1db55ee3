import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { AddressInfo } from 'node:net'
import { providerNames } from '../../providers/index.js'
import { loadPlugin } from '../../providers/plugin.js'
import { checkConfigCommand } from '../../src/cli/check-config.js'
import { sendCommand } from '../../src/cli/send.js'
import { packageRoot } from '../../src/package-root.js'
import { writeConfig } from '../child-gateway.js'
import { capture } from '../fixtures/cli.js'
import { DISCORD_PRIVATE_PEM, PROVIDER_SOURCES } from '../fixtures/provider-sources.js'
import { build, TestClock } from '../helper.js'
import { storedEvents } from '../fixtures/events.js'

const ACME = join(packageRoot(), 'examples', 'providers', 'acme.mjs')
const ACME_SOURCE = { provider: { module: ACME }, secret: 'acme-test-secret-0123456789abcdef', options: { account: 'acct_demo' } }

t.test('check-config accepts one source of every built-in provider and a plugin, and send signs a sample each accepts', async (t) => {
  const plugins = new Map([[ACME, await loadPlugin(ACME, '/')]])
  const sources = { ...PROVIDER_SOURCES, acme: ACME_SOURCE }
  const built = await build(t, { clock: new TestClock(), plugins, config: { sources } })
  await built.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = built.app.server.address() as AddressInfo
  const configFile = writeConfig(built.dir, { server: { host: '127.0.0.1', port }, storage: { path: `${built.dir}/unused.db` }, sources })

  const writes: string[] = []
  const out = process.stdout.write
  process.stdout.write = ((chunk: string) => { writes.push(String(chunk)); return true }) as typeof process.stdout.write
  const checked = await checkConfigCommand(['--config', configFile]).finally(() => { process.stdout.write = out })
  t.equal(checked, 0, 'check-config exits 0')
  t.match(writes.join(''), `${providerNames.length + 1} source(s)`)
  t.match(writes.join(''), 'acme (acme)')

  // A Discord source holds a public key: send signs with the private key given to it, here as a file.
  const keyFile = join(built.dir, 'discord-test.pem')
  writeFileSync(keyFile, DISCORD_PRIVATE_PEM, { mode: 0o600 })
  const sent = [...providerNames, 'acme']
  for (const name of sent) {
    const io = capture()
    const args = name === 'discord' ? ['--signing-key', keyFile] : []
    t.equal(await sendCommand([name, '--config', configFile, ...args], io), 0, `${name}: ${io.stderr()}`)
    t.match(io.stdout(), `sent ${built.app.hookgate.config.samples[name]!.defaultType} to `, `${name}: the gateway accepted its sample`)
  }
  // Sorted by source: two events received within one millisecond have ids in random order.
  const stored = (await storedEvents(built.app)).map(({ source, type }) => ({ source, type })).sort((a, b) => a.source.localeCompare(b.source))
  t.same(stored, sent.map((name) => ({ source: name, type: built.app.hookgate.config.samples[name]!.defaultType })).sort((a, b) => a.source.localeCompare(b.source)), 'one event of each, with its type')
})

t.test('send discord: the key from HOOKGATE_SIGNING_KEY, and a missing, unreadable or foreign key refused before posting', async (t) => {
  const built = await build(t, { clock: new TestClock(), config: { sources: { discord: PROVIDER_SOURCES.discord } } })
  await built.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = built.app.server.address() as AddressInfo
  const configFile = writeConfig(built.dir, { server: { host: '127.0.0.1', port }, storage: { path: `${built.dir}/unused.db` }, sources: { discord: PROVIDER_SOURCES.discord } })
  const fromEnv = capture({ HOOKGATE_SIGNING_KEY: DISCORD_PRIVATE_PEM })
  t.equal(await sendCommand(['discord', '--config', configFile, '--type', 'application_command'], fromEnv), 0, fromEnv.stderr())
  t.match(fromEnv.stdout(), /^sent application_command to http:\/\/127\.0\.0\.1:\d+\/webhooks\/discord: 200, event evt_/)

  const none = capture()
  t.equal(await sendCommand(['discord', '--config', configFile], none), 2)
  t.match(none.stderr(), "source 'discord' holds a public key, which only verifies: give send the matching private key, --signing-key FILE")
  const missing = capture()
  t.equal(await sendCommand(['discord', '--config', configFile, '--signing-key', join(built.dir, 'nope.pem')], missing), 2)
  t.match(missing.stderr(), 'cannot read --signing-key')
  const garbage = capture({ HOOKGATE_SIGNING_KEY: 'not a key' })
  t.equal(await sendCommand(['discord', '--config', configFile], garbage), 2)
  t.match(garbage.stderr(), 'the signing key is not a PEM ed25519 private key')
  const foreign = capture({ HOOKGATE_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string })
  t.equal(await sendCommand(['discord', '--config', configFile], foreign), 2)
  t.match(foreign.stderr(), "is not among source 'discord''s keys")
  const rsa = capture({ HOOKGATE_SIGNING_KEY: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string })
  t.equal(await sendCommand(['discord', '--config', configFile], rsa), 2)
  t.match(rsa.stderr(), 'not a PEM ed25519 private key')
  t.equal((await storedEvents(built.app)).length, 1, 'only the signed one reached the gateway')
})
