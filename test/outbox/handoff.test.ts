/**
 * A new event's delivery, when the dispatcher has room for it and nothing
 * older of its destination waits, is inserted already leased and leaves as
 * soon as the commit is in and a slot is free, without a claim through the
 * writer. Everything else still goes through claims: what waits is served
 * first, a paused destination waits, and every place reserved for an event
 * that stored no delivery is given back.
 */
import t from 'tap'
import { setPaused } from '../../src/db/sqlite/queries/destinations.js'
import { recordEvent } from '../../src/db/sqlite/queries/record.js'
import { build, migratedDb, sqliteOnly } from '../helper.js'
import { attempts, deliveries, ingest } from '../fixtures/events.js'
import { startReceiver } from '../fixtures/receiver.js'

const oneDestination = (url: string, concurrency = 10) => ({ destinations: { hooks: { url, concurrency } } })

t.test('a destination with room gets a new event with its acknowledgement, without a claim', async (t) => {
  const receiver = await startReceiver(t, [])
  const { app } = await build(t, { startDispatcher: true, config: oneDestination(receiver.url) })
  const dispatcher = app.hookgate.dispatcher
  await dispatcher.idle() // the start's claim is over
  const id = await ingest(app, 1)
  await dispatcher.idle()
  t.equal(JSON.parse(receiver.requests[0]!.body.toString()).id, id, 'the receiver got the event')
  t.same(dispatcher.leasedSoFar(), { byClaim: 0, byHandoff: 1 }, 'no claim took it: ingest leased it')
  t.match(await deliveries(app), [{ event_id: id, status: 'delivered', attempts: 1, locked_at: null, locked_by: null }])
  t.match(await attempts(app), [{ attempt: 1, status_code: 200 }])
})

t.test('places for ingest: not bounded by commits under way, refused once leased deliveries fill the window, given back when unused', async (t) => {
  // The first delivery is held by the receiver until the test releases it.
  const receiver = await startReceiver(t, (_r, index) => index === 0 ? 'hold' : { status: 200 })
  const { app } = await build(t, { startDispatcher: true, config: oneDestination(receiver.url, 1) })
  const dispatcher = app.hookgate.dispatcher
  await dispatcher.idle()
  const first = dispatcher.reserve(['hooks'])
  t.match(first, { owner: dispatcher.owner, destinations: ['hooks'] })
  const second = dispatcher.reserve(['hooks'])
  const third = dispatcher.reserve(['hooks'])
  t.ok(second !== null && third !== null, 'concurrency 1 (a window of 2): three places while their commits are under way')
  for (const lease of [first, second, third]) dispatcher.recorded(lease, null) // duplicates, or failed writes: every place comes back
  await ingest(app, 1)
  await receiver.received(1)
  await ingest(app, 2)
  t.equal(dispatcher.reserve(['hooks']), null, 'one sending and one leased waiting fill the window: the next event queues in the table')
  receiver.release()
  await dispatcher.idle()
  t.equal(receiver.requests.length, 2)
  t.match(dispatcher.reserve(['hooks']), { destinations: ['hooks'] }, 'the receiver took them: places again')
  t.equal(dispatcher.reserve(['elsewhere']), null, 'a destination not in the config is never reserved')
})

t.test('ingest leases a delivery only when nothing older of its destination is due and unclaimed, and it is not paused', async (t) => {
  if (sqliteOnly(t)) return
  const db = migratedDb(t)
  const lease = { owner: 'gw', at: 1000, destinations: ['hooks'] }
  let n = 0
  const record = (at: number) => {
    const event = { id: `evt_${++n}`, source: 'clerk', provider: 'clerk', dedupKey: `k${n}`, type: 'user.created', subject: null, occurredAt: null, receivedAt: at, headers: '{}', body: new Uint8Array([123, 125]) }
    return recordEvent(db, { event, destinations: ['hooks', 'other'], lease }).leased
  }
  t.same(record(1000), [{ id: 1, destination: 'hooks' }], 'leased; the destination without a slot (other) is not')
  t.match(db.prepare('SELECT attempts, locked_at, locked_by FROM deliveries WHERE id = 1').get(), { attempts: 1, locked_at: 1000, locked_by: 'gw' }, 'as a claim leaves it')
  db.prepare("UPDATE deliveries SET locked_at = NULL, locked_by = NULL, run_at = 1500 WHERE id = 1").run()
  t.same(record(1001), [{ id: 3, destination: 'hooks' }], 'a retry not yet due does not hold it back')
  t.same(record(1500), [], 'the retry is due now: it goes first, through a claim')
  db.prepare("UPDATE deliveries SET status = 'delivered' WHERE destination = 'hooks' AND locked_at IS NULL").run()
  t.same(record(1501), [{ id: 7, destination: 'hooks' }], 'nothing waits any more')
  setPaused(db, { name: 'hooks', paused: true, now: 1502 })
  t.same(record(1502), [], 'paused: left pending')
})

t.test('a paused destination\'s delivery is left pending, and its slot given back', async (t) => {
  const receiver = await startReceiver(t, [])
  const { app } = await build(t, { startDispatcher: true, config: oneDestination(receiver.url, 1) })
  const dispatcher = app.hookgate.dispatcher
  await dispatcher.idle()
  await app.hookgate.store.setPaused({ name: 'hooks', paused: true, now: app.hookgate.clock.now() })
  const id = await ingest(app, 1)
  t.match(await deliveries(app), [{ event_id: id, status: 'pending', attempts: 0, locked_at: null }], 'inserted pending, not leased')
  t.equal(receiver.requests.length, 0)
  await app.hookgate.store.setPaused({ name: 'hooks', paused: false, now: app.hookgate.clock.now() })
  // The loop runs: whichever claim comes first after the resume takes it, which needs the one slot back.
  await dispatcher.runOnce()
  await dispatcher.idle()
  t.equal(receiver.requests.length, 1)
  t.equal(JSON.parse(receiver.requests[0]!.body.toString()).id, id, 'delivered after the resume: the paused event did not keep the slot')
})

t.test('deliveries beyond the free slots go out in the order they came in', async (t) => {
  // The first is held until the test releases it: meanwhile the second waits
  // leased in memory and the third, beyond twice the concurrency, in the table.
  const receiver = await startReceiver(t, (_r, index) => index === 0 ? 'hold' : { status: 200 })
  const { app, clock } = await build(t, { startDispatcher: true, config: { destinations: { hooks: { url: receiver.url, concurrency: 1 } } } })
  const dispatcher = app.hookgate.dispatcher
  await dispatcher.idle()
  const ids = []
  for (let i = 1; i <= 3; i++) {
    ids.push(await ingest(app, i))
    clock.advance(1)
  }
  await receiver.received(1)
  t.match((await deliveries(app)).map((d) => d.locked_at === null), [false, false, true], 'in flight, waiting leased, waiting in the table')
  receiver.release()
  await dispatcher.idle()
  t.same(receiver.requests.map((r) => JSON.parse(r.body.toString()).id), ids)
  t.match(await deliveries(app), ids.map(() => ({ status: 'delivered', attempts: 1 })))
})
