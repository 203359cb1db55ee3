import t from 'tap'
import { heldCommand } from '../../src/cli/held.js'
import { skipCommand } from '../../src/cli/skip.js'
import { deliveries, ingest } from '../fixtures/events.js'
import { capture, listeningGateway } from '../fixtures/cli.js'
import { startReceiver } from '../fixtures/receiver.js'

/** A listening gateway whose `ledger` orders by subject and blocks on a dead head; user_a's first event was refused (400), two wait behind it. */
async function withHeld (t: Parameters<typeof listeningGateway>[0]) {
  const refused = new Set(['user_a'])
  const receiver = await startReceiver(t, (r) => refused.has(JSON.parse(r.body.toString()).subject) ? { status: 400, body: 'no' } : { status: 200 })
  const gateway = await listeningGateway(t, { destinations: { ledger: { url: receiver.url, ordering: 'subject', onDead: 'block' } } })
  const ids = [await ingest(gateway.app, 1, 'user.created', 'user_a'), await ingest(gateway.app, 2, 'user.updated', 'user_a'), await ingest(gateway.app, 3, 'user.updated', 'user_a')]
  await gateway.app.hookgate.dispatcher.runOnce()
  const head = (await deliveries(gateway.app))[0]!
  return { ...gateway, ids, head, receiver, accept: () => { refused.clear() } }
}

t.test('held prints each held subject with its head, what holds it and how many wait; --json the API answer', async (t) => {
  const { configFile, ids, head } = await withHeld(t)
  const io = capture()
  t.equal(await heldCommand(['--config', configFile], io), 0, io.stderr())
  const lines = io.stdout().trimEnd().split('\n')
  t.match(lines[0], /^DESTINATION\s+SUBJECT\s+STATE\s+WAITING\s+HEAD\s+EVENT\s+ATTEMPTS\s+LAST ERROR$/)
  t.match(lines[1], new RegExp(`^ledger\\s+user_a\\s+dead\\s+2\\s+${head.id}\\s+${ids[0]}\\s+1\\s+HTTP 400`))
  t.match(lines[2], /^release a subject: hookgate retry <head>/)
  t.equal(lines.length, 3)

  const json = capture()
  t.equal(await heldCommand(['--config', configFile, '--destination', 'ledger', '--json'], json), 0)
  t.match(JSON.parse(json.stdout()), { items: [{ destination: 'ledger', subject: 'user_a', state: 'dead', waiting: 2, head: { id: head.id } }], nextCursor: null })

  const unknown = capture()
  t.equal(await heldCommand(['--config', configFile, '--destination', 'nowhere'], unknown), 1)
  t.match(unknown.stderr(), "404 HG_ERR_DESTINATION_UNKNOWN No destination named 'nowhere'")
  t.equal(await heldCommand(['--config', configFile, 'extra'], capture()), 2, 'no positional')
})

t.test('skip <delivery id> releases the subject: its next events go in order, and held shows nothing', async (t) => {
  const { app, configFile, ids, head, receiver, accept } = await withHeld(t)
  accept()
  const io = capture()
  t.equal(await skipCommand([String(head.id), '--config', configFile], io), 0, io.stderr())
  t.equal(io.stdout(), `delivery ${head.id} (${ids[0]} to ledger) skipped, now dead: the next of its subject goes now\n`)
  await app.hookgate.dispatcher.runOnce()
  await app.hookgate.dispatcher.runOnce()
  t.same(receiver.requests.map((r) => JSON.parse(r.body.toString()).id), ids, 'the refused head, then the two behind it')
  const none = capture()
  t.equal(await heldCommand(['--config', configFile], none), 0)
  t.equal(none.stdout(), 'no held subjects\n')

  const again = capture()
  t.equal(await skipCommand([String(head.id), '--config', configFile, '--json'], again), 1)
  t.match(JSON.parse(again.stdout()), { statusCode: 409, code: 'HG_ERR_DELIVERY_NOT_SKIPPABLE' }, 'a script sees the code')
  t.match(again.stderr(), `409 HG_ERR_DELIVERY_NOT_SKIPPABLE Delivery ${head.id} waits in no subject's line`)
  for (const argv of [[], ['seven'], ['1', '2']]) {
    const usage = capture()
    t.equal(await skipCommand([...argv, '--config', configFile], usage), 2, argv.join(' '))
    t.match(usage.stderr(), 'usage: hookgate skip <delivery id>')
  }
})
