import t from 'tap'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { eventsCommand } from '../../src/cli/events.js'
import { replayCommand } from '../../src/cli/replay.js'
import { retryCommand } from '../../src/cli/retry.js'
import { packageRoot } from '../../src/package-root.js'
import { ADMIN_TOKEN } from '../fixtures/admin.js'
import { deliveries, ingest } from '../fixtures/events.js'
import { capture, listeningGateway } from '../fixtures/cli.js'
import { startReceiver } from '../fixtures/receiver.js'

/** A listening gateway with two destinations that refuse everything, and two events whose four deliveries are dead. */
async function withDead (t: Parameters<typeof listeningGateway>[0]) {
  const receiver = await startReceiver(t, () => ({ status: 400 }))
  const gateway = await listeningGateway(t, { destinations: { orders: { url: receiver.url }, audit: { url: receiver.url } } })
  const first = await ingest(gateway.app, 1)
  gateway.clock.advance(1) // ids sort by time; within one millisecond their order is arbitrary
  const ids = [first, await ingest(gateway.app, 2, 'user.deleted')]
  await gateway.app.hookgate.dispatcher.runOnce()
  return { ...gateway, ids, receiver }
}

t.test('events prints a table, filtered, or the API JSON with --json', async (t) => {
  const { app, configFile, ids } = await withDead(t)
  const io = capture()
  t.equal(await eventsCommand(['--config', configFile], io), 0, io.stderr())
  const lines = io.stdout().trimEnd().split('\n')
  t.match(lines[0], /^ID\s+RECEIVED\s+SOURCE\s+TYPE\s+SUBJECT\s+STATUS$/)
  t.match(lines[1], new RegExp(`^${ids[1]}\\s+\\S+Z\\s+clerk\\s+user\\.deleted\\s+user_2\\s+dead$`))
  t.equal(lines.length, 3)

  const filtered = capture()
  t.equal(await eventsCommand(['--config', configFile, '--type', 'user.created', '--status', 'dead', '--source', 'clerk'], filtered), 0)
  t.equal(filtered.stdout().trimEnd().split('\n').length, 2, 'the header and one event')

  const json = capture()
  t.equal(await eventsCommand(['--config', configFile, '--json', '--limit', '1'], json), 0)
  const page = JSON.parse(json.stdout())
  t.same(page.items.map((e: { id: string }) => e.id), [ids[1]])
  t.type(page.nextCursor, 'string')

  const more = capture()
  await eventsCommand(['--config', configFile, '--limit', '1'], more)
  t.match(more.stdout(), `more: --cursor ${page.nextCursor}\n`)

  const none = capture()
  t.equal(await eventsCommand(['--config', configFile, '--status', 'pending'], none), 0)
  t.equal(none.stdout(), 'no events\n')
  t.ok(app.server.listening)
})

t.test('admin commands take the token from HOOKGATE_ADMIN_TOKEN and the URL from HOOKGATE_URL, with no config', async (t) => {
  const { url } = await withDead(t)
  const io = capture({ HOOKGATE_ADMIN_TOKEN: ADMIN_TOKEN, HOOKGATE_URL: url })
  t.equal(await eventsCommand(['--json'], io), 0, io.stderr())
  t.equal(JSON.parse(io.stdout()).items.length, 2)
})

t.test('admin commands report refusals with the code: wrong token, bad filter, unreachable gateway (exit 1), no token (exit 2)', async (t) => {
  const { url, configFile } = await withDead(t)
  const wrong = capture({ HOOKGATE_ADMIN_TOKEN: 'not-the-token-0123456789', HOOKGATE_URL: url })
  t.equal(await eventsCommand([], wrong), 1)
  t.equal(wrong.stderr(), 'hookgate events: 401 HG_ERR_ADMIN_UNAUTHORIZED Missing or wrong admin token\n')
  const wrongJson = capture({ HOOKGATE_ADMIN_TOKEN: 'not-the-token-0123456789', HOOKGATE_URL: url })
  t.equal(await eventsCommand(['--json'], wrongJson), 1)
  t.match(JSON.parse(wrongJson.stdout()), { statusCode: 401, code: 'HG_ERR_ADMIN_UNAUTHORIZED' }, 'a script sees the code')

  const bad = capture()
  t.equal(await eventsCommand(['--config', configFile, '--status', 'lost'], bad), 1)
  t.match(bad.stderr(), '400 HG_ERR_BAD_REQUEST Bad request: querystring/status must be equal to one of the allowed values')

  const away = capture({ HOOKGATE_ADMIN_TOKEN: ADMIN_TOKEN })
  t.equal(await eventsCommand(['--url', 'http://127.0.0.1:9'], away), 1)
  t.match(away.stderr(), 'hookgate events: cannot reach http://127.0.0.1:9')

  const tokenless = capture({ HOOKGATE_URL: url })
  t.equal(await eventsCommand([], tokenless), 2)
  t.match(tokenless.stderr(), 'no admin token: set HOOKGATE_ADMIN_TOKEN')
})

t.test('replay creates new deliveries and lists them', async (t) => {
  const { app, configFile, ids } = await withDead(t)
  const io = capture()
  t.equal(await replayCommand([ids[0]!, '--config', configFile], io), 0, io.stderr())
  t.match(io.stdout(), new RegExp(`^replaying ${ids[0]}: 2 new deliveries\\nDELIVERY\\s+DESTINATION\\n\\d+\\s+orders\\n\\d+\\s+audit\\n$`))
  const one = capture()
  t.equal(await replayCommand([ids[0]!, '--destination', 'audit', '--config', configFile, '--json'], one), 0)
  t.match(JSON.parse(one.stdout()), { eventId: ids[0], deliveries: [{ destination: 'audit' }] })
  t.equal((await deliveries(app)).filter((d) => d.status === 'pending').length, 3)

  const unknown = capture()
  t.equal(await replayCommand(['evt_000000000nothing', '--config', configFile], unknown), 1)
  t.match(unknown.stderr(), "404 HG_ERR_EVENT_NOT_FOUND Unknown event 'evt_000000000nothing'")
  const bare = capture()
  t.equal(await replayCommand(['--config', configFile], bare), 2)
})

t.test('retry --dead counts with --dry-run, then retries, per destination or all', async (t) => {
  const { app, configFile } = await withDead(t)
  const dry = capture()
  t.equal(await retryCommand(['--dead', '--dry-run', '--config', configFile], dry), 0, dry.stderr())
  t.equal(dry.stdout(), 'would retry 4 dead deliveries (dry run: nothing changed)\n')
  const one = capture()
  t.equal(await retryCommand(['--dead', '--destination', 'orders', '--config', configFile], one), 0)
  t.equal(one.stdout(), 'retried 2 dead deliveries to orders\n')
  t.same((await deliveries(app)).filter((d) => d.status === 'dead').map((d) => d.destination), ['audit', 'audit'])
  const json = capture()
  t.equal(await retryCommand(['--dead', '--config', configFile, '--json'], json), 0)
  t.same(JSON.parse(json.stdout()), { count: 2, dryRun: false })
})

t.test('retry <delivery id> retries that one; a bare or double retry is a usage error', async (t) => {
  const { app, configFile } = await withDead(t)
  const [dead] = await deliveries(app)
  const io = capture()
  t.equal(await retryCommand([String(dead!.id), '--config', configFile], io), 0, io.stderr())
  t.match(io.stdout(), new RegExp(`^delivery ${dead!.id}: pending, due \\S+Z\\n$`))
  const missing = capture()
  t.equal(await retryCommand(['999', '--config', configFile], missing), 1)
  t.match(missing.stderr(), '404 HG_ERR_DELIVERY_NOT_FOUND Unknown delivery 999')
  for (const argv of [[], ['--dead', '7'], ['seven'], ['1', '2']]) {
    const usage = capture()
    t.equal(await retryCommand([...argv, '--config', configFile], usage), 2, argv.join(' '))
    t.match(usage.stderr(), 'hookgate retry --dead')
  }
})

t.test('the hookgate binary runs these commands as a user types them', async (t) => {
  const { url, ids } = await withDead(t)
  const root = packageRoot()
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), 'events', '--status', 'dead', '--json'], {
    cwd: root, env: { ...process.env, HOOKGATE_ADMIN_TOKEN: ADMIN_TOKEN, HOOKGATE_URL: url, HOOKGATE_CONFIG: '' }
  })
  t.same(JSON.parse(stdout).items.map((e: { id: string }) => e.id), [ids[1], ids[0]])
})

/** A listening gateway whose one destination was down for two attempts of each event: the deliveries wait 5 minutes. */
async function withWaiting (t: Parameters<typeof listeningGateway>[0], events = 2) {
  let down = true
  const receiver = await startReceiver(t, () => down ? { status: 503 } : { status: 200 })
  const gateway = await listeningGateway(t, { destinations: { orders: { url: receiver.url }, audit: { url: receiver.url, sources: ['chaindoc'] } } })
  const ids: string[] = []
  for (let n = 1; n <= events; n++) ids.push(await ingest(gateway.app, n))
  await gateway.app.hookgate.dispatcher.runOnce()
  gateway.clock.advance(5_000)
  await gateway.app.hookgate.dispatcher.runOnce()
  t.same((await gateway.app.hookgate.dispatcher.runOnce()).claimed, 0, 'nothing due: the next retry is minutes away')
  return { ...gateway, ids, receiver, up: () => { down = false } }
}

t.test('retry --pending makes the waiting deliveries due now; --dry-run counts them', async (t) => {
  const { app, configFile, up, receiver } = await withWaiting(t)
  const dry = capture()
  t.equal(await retryCommand(['--pending', '--dry-run', '--config', configFile], dry), 0, dry.stderr())
  t.equal(dry.stdout(), 'would retry 2 waiting deliveries (dry run: nothing changed)\n')
  t.equal((await app.hookgate.dispatcher.runOnce()).claimed, 0, 'a dry run changes nothing')
  up()
  const io = capture()
  t.equal(await retryCommand(['--pending', '--destination', 'orders', '--config', configFile], io), 0, io.stderr())
  t.equal(io.stdout(), 'retried 2 waiting deliveries to orders: due now\n')
  t.same(await app.hookgate.dispatcher.runOnce(), { claimed: 2, settled: 2 })
  t.equal(receiver.requests.length, 6)
  t.match(await deliveries(app), [{ status: 'delivered', attempts: 3 }, { status: 'delivered', attempts: 3 }], 'each kept its attempts')
  const none = capture()
  t.equal(await retryCommand(['--pending', '--config', configFile, '--json'], none), 0)
  t.same(JSON.parse(none.stdout()), { count: 0, dryRun: false })
})

t.test('retry <event id> retries that event\'s waiting and dead deliveries', async (t) => {
  const { app, configFile, ids, up } = await withWaiting(t)
  up()
  const io = capture()
  t.equal(await retryCommand([ids[0]!, '--config', configFile], io), 0, io.stderr())
  t.equal(io.stdout(), `retried 1 delivery of ${ids[0]} (0 dead, 1 waiting)\n`)
  t.same(await app.hookgate.dispatcher.runOnce(), { claimed: 1, settled: 1 })
  t.match(await deliveries(app), [{ event_id: ids[0], status: 'delivered' }, { event_id: ids[1], status: 'pending' }], 'the other event still waits')
  const json = capture()
  t.equal(await retryCommand([ids[0]!, '--config', configFile, '--json'], json), 0)
  t.same(JSON.parse(json.stdout()), { eventId: ids[0], dead: 0, pending: 0, dryRun: false })
  const both = capture()
  t.equal(await retryCommand(['--pending', '--dead', '--config', configFile], both), 2, '--dead and --pending together are a usage error')
})

t.test('the bulk retry refuses an unknown status', async (t) => {
  const { app } = await withWaiting(t, 1)
  const res = await app.inject({ method: 'POST', url: '/admin/deliveries/retry', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { status: 'delivered' } })
  t.equal(res.statusCode, 400)
})
