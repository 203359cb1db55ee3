import t from 'tap'
import { createServer, type AddressInfo } from 'node:net'
import type { Admission } from '../../src/outbox/breaker.js'
import { Capacity, LOOKAHEAD_FACTOR } from '../../src/outbox/capacity.js'
import { build, sqlite, sqliteOnly } from '../helper.js'
import { deliveries, ingest } from '../fixtures/events.js'
import { startReceiver } from '../fixtures/receiver.js'

interface Item { readonly destination: string, readonly n: number }

/** Capacity over two destinations, with breakers the test sets by hand. */
function slots (concurrency: Record<string, number>, globalConcurrency: number) {
  const breakers = new Map<string, 'flowing' | 'paused' | 'after-pause'>()
  // As the breaker answers: after a pause, one probe while nothing is out.
  const admission = (name: string, sending: number): Admission => {
    const state = breakers.get(name) ?? 'flowing'
    return state === 'flowing' ? 'flowing' : state === 'after-pause' && sending === 0 ? 'probe' : 'held'
  }
  let n = 0
  const item = (destination: string): Item => ({ destination, n: ++n })
  return { capacity: new Capacity<Item>({ concurrency, globalConcurrency }, admission), breakers, item }
}

t.test('slot counting: a destination holds up to its window, and starts no more than its concurrency', async (t) => {
  const { capacity, item } = slots({ a: 2 }, 100)
  t.equal(capacity.room('a', false), 2, 'without lookahead: the free slots')
  t.equal(capacity.room('a', true), LOOKAHEAD_FACTOR * 2, 'with lookahead: the window')
  for (let i = 0; i < 4; i++) capacity.wait(item('a'))
  t.equal(capacity.room('a', true), 0, 'four waiting fill the window')
  t.same(capacity.takeStartable().map((d) => d.n), [1, 2], 'two start, in order')
  t.same(capacity.takeStartable(), [], 'no third while two are sending')
  t.equal(capacity.sending('a'), 2)
  capacity.free('a')
  t.same(capacity.takeStartable().map((d) => d.n), [3], 'a freed slot takes the next in line')
  t.equal(capacity.room('a', false), -1, 'no free slot, and one waits beyond them')
  t.equal(capacity.room('x', true), 0, 'a destination not configured has no room')
})

t.test('slot counting: the global limit is shared, and bounds one claim', async (t) => {
  const { capacity, item } = slots({ a: 10, b: 10 }, 3)
  t.equal(capacity.claimLimit(false), 3)
  t.equal(capacity.claimLimit(true), 6)
  for (let i = 0; i < 3; i++) capacity.wait(item('a'))
  capacity.wait(item('b'))
  t.equal(capacity.takeStartable().length, 3, 'three start in all')
  t.equal(capacity.totalSending(), 3)
  t.equal(capacity.holding(), 4, 'sending and waiting')
  t.equal(capacity.claimLimit(true), 2)
  capacity.free('a')
  t.same(capacity.takeStartable().map((d) => d.destination), ['b'], 'the freed global slot goes to b')
})

t.test('slot counting: ingest places are bounded by what the receiver has yet to take, not by commits under way', async (t) => {
  const { capacity, item } = slots({ a: 1 }, 100)
  for (let i = 0; i < 3; i++) t.ok(capacity.reserve('a'), `place ${i + 1}: commits under way do not fill the window of 2`)
  t.equal(capacity.holding(), 3)
  t.equal(capacity.room('a', true), -1, 'a claim counts them: it takes nothing the commits will bring')
  for (let i = 0; i < 3; i++) capacity.unreserve('a')
  capacity.wait(item('a')) // two inserts leased theirs
  capacity.wait(item('a'))
  t.notOk(capacity.reserve('a'), 'two leased deliveries fill the window')
  t.equal(capacity.takeStartable().length, 1)
  t.notOk(capacity.reserve('a'), 'one sending and one waiting still do')
  capacity.free('a')
  t.ok(capacity.reserve('a'), 'the receiver took one: a place again')
  t.notOk(capacity.reserve('x'), 'never for a destination not configured')
})

t.test('slot counting: the global window bounds places too', async (t) => {
  const { capacity, item } = slots({ a: 10, b: 10 }, 1)
  t.ok(capacity.reserve('a'))
  t.ok(capacity.reserve('b'), 'commits under way do not count')
  capacity.wait(item('a'))
  capacity.wait(item('b'))
  t.notOk(capacity.reserve('a'), 'twice the global concurrency leased in all')
})

t.test('slot counting: a held-back destination gets no lookahead, only its probe', async (t) => {
  const { capacity, breakers, item } = slots({ a: 4 }, 100)
  capacity.wait(item('a'))
  capacity.wait(item('a'))
  breakers.set('a', 'paused')
  t.equal(capacity.room('a', true), -2, 'paused: no room, and what waits is over it')
  t.same(capacity.heldBack(), ['a'], 'what waits is to be given back')
  t.same(capacity.takeStartable(), [], 'nothing starts while paused')
  t.same(capacity.takeWaiting(['a']).map((d) => d.n), [1, 2], 'given back in order')
  t.notOk(capacity.reserve('a'), 'no reservation while paused')
  breakers.set('a', 'after-pause')
  t.equal(capacity.room('a', true), 1, 'the probe')
  t.ok(capacity.reserve('a'), 'the probe may be a new event')
  t.notOk(capacity.reserve('a'), 'but only one')
  capacity.unreserve('a')
  capacity.wait(item('a'))
  capacity.wait(item('a'))
  t.equal(capacity.takeStartable().length, 1, 'one probe starts')
  t.same(capacity.takeStartable(), [], 'no second while it is out')
  breakers.set('a', 'flowing')
  t.equal(capacity.takeStartable().length, 1, 'an answer lets the rest flow')
})

t.test('never has more attempts in flight to a destination than its concurrency', async (t) => {
  const receiver = await startReceiver(t, [])
  const { app } = await build(t, { config: { destinations: { hooks: { url: receiver.url, concurrency: 2 } } } })
  for (let i = 0; i < 5; i++) await ingest(app, i)
  const runs = [await app.hookgate.dispatcher.runOnce(), await app.hookgate.dispatcher.runOnce(), await app.hookgate.dispatcher.runOnce()]
  t.same(runs.map((r) => r.claimed), [2, 2, 1])
  t.equal(receiver.requests.length, 5)
})

t.test('serves deliveries in the order they became due', async (t) => {
  const receiver = await startReceiver(t, [])
  const { app, clock } = await build(t, { config: { destinations: { hooks: { url: receiver.url, concurrency: 1 } } } })
  const ids = []
  for (let i = 0; i < 3; i++) {
    ids.push(await ingest(app, i))
    clock.advance(1)
  }
  for (let i = 0; i < 3; i++) await app.hookgate.dispatcher.runOnce()
  t.same(receiver.requests.map((r) => JSON.parse(r.body.toString()).id), ids)
})

t.test('shares the global limit so a backlog at one destination cannot starve another', async (t) => {
  const slow = await startReceiver(t, () => ({ status: 200, delayMs: 20 }))
  const fast = await startReceiver(t, [])
  const { app } = await build(t, {
    config: {
      delivery: { concurrency: 4 },
      destinations: { slow: { url: slow.url, events: ['user.created'] }, fast: { url: fast.url, events: ['user.updated'] } }
    }
  })
  for (let i = 0; i < 10; i++) await ingest(app, `slow${i}`, 'user.created')
  for (let i = 0; i < 2; i++) await ingest(app, `fast${i}`, 'user.updated')
  const first = await app.hookgate.dispatcher.runOnce()
  t.equal(first.claimed, 4, 'the global limit holds')
  t.equal(fast.requests.length, 2, 'the small destination got its share in the first claim')
  t.equal(slow.requests.length, 2)
  while ((await app.hookgate.dispatcher.runOnce()).claimed > 0);
  t.equal(slow.requests.length, 10)
  t.ok((await deliveries(app)).every((d) => d.status === 'delivered'))
})

t.test('claims through the per-destination ready index, not a scan of the backlog', async (t) => {
  if (sqliteOnly(t)) return
  const { app } = await build(t, { config: { destinations: { hooks: { url: 'http://127.0.0.1:9/' } } } })
  const plan = (sql: string) => (sqlite(app).db.prepare('EXPLAIN QUERY PLAN ' + sql).all({ now: 0, owner: 'x', destination: 'hooks', n: 1 }) as Array<{ detail: string }>).map((r) => r.detail).join('\n')
  const claim = plan(`SELECT id FROM deliveries INDEXED BY deliveries_ready_by_destination
      WHERE destination = @destination AND status = 'pending' AND locked_at IS NULL AND run_at <= @now ORDER BY run_at LIMIT @n`)
  t.match(claim, /SEARCH deliveries USING (COVERING )?INDEX deliveries_ready_by_destination \(destination=\? AND run_at<\?\)/)
  t.notMatch(claim, /TEMP B-TREE/, 'no sort: the index is in run_at order')
})

t.test('a claim for a live destination takes nothing of 10,000 deliveries due at a dead one, and the live one is served at once', async (t) => {
  if (sqliteOnly(t)) return
  const live = await startReceiver(t, [])
  const { app, clock } = await build(t, {
    config: { destinations: { dead: { url: 'http://127.0.0.1:9/hooks', events: ['user.created'] }, live: { url: live.url, events: ['user.updated'] } } }
  })
  // 10,000 due deliveries to the dead receiver, older than anything the live one gets.
  const db = sqlite(app).db
  const seed = db.transaction(() => {
    const event = db.prepare(`INSERT INTO events (id, source, provider, dedup_key, type, received_at, headers, body, status)
      VALUES (?, 'clerk', 'clerk', ?, 'user.created', ?, '{}', ?, 'pending')`)
    const delivery = db.prepare(`INSERT INTO deliveries (event_id, destination, status, run_at, created_at, updated_at) VALUES (?, 'dead', 'pending', ?, ?, ?)`)
    for (let i = 0; i < 10_000; i++) {
      event.run(`evt_seed${i}`, `seed${i}`, clock.now() - 1000, Buffer.from('{}'))
      delivery.run(`evt_seed${i}`, clock.now() - 1000, clock.now() - 1000, clock.now() - 1000)
    }
  })
  seed()
  // That the claim seeks rather than scans is checked on its plan (above); how long it takes is for npm run bench.
  const { claimed, nextDueAt } = await app.hookgate.store.claimDeliveries({ now: clock.now(), owner: 'test', slots: { live: 10 }, limit: 10 })
  t.same([claimed.length, nextDueAt], [0, null])
  await ingest(app, 'live', 'user.updated')
  const run = await app.hookgate.dispatcher.runOnce()
  t.equal(live.requests.length, 1, 'the live destination is served at once')
  t.equal(run.claimed, 11, '10 to the dead receiver (its concurrency), 1 to the live one')
})

t.test('with the loop running, a dead receiver\'s backlog costs a handful of attempts, not a storm, and ingest is not held up', async (t) => {
  if (sqliteOnly(t)) return
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const deadPort = (closed.address() as AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  const live = await startReceiver(t, [])
  const { app } = await build(t, {
    startDispatcher: true,
    config: { destinations: { dead: { url: `http://127.0.0.1:${deadPort}/`, events: ['user.created'] }, live: { url: live.url, events: ['user.updated'] } } }
  })
  const dispatcher = app.hookgate.dispatcher
  for (let i = 0; i < 200; i++) await ingest(app, `dead${i}`, 'user.created')
  await dispatcher.idle()
  // The clock does not move: the breaker's pause and every retry are still ahead.
  const spent = () => (sqlite(app).db.prepare("SELECT sum(attempts) AS n FROM deliveries WHERE destination = 'dead'").get() as { n: number }).n
  const before = spent()
  t.ok(before <= 20, `${before} attempts at the dead receiver for 200 due deliveries`)
  const leased = dispatcher.leasedSoFar()
  for (let i = 0; i < 100; i++) await ingest(app, `live${i}`, 'user.updated')
  await dispatcher.idle()
  t.equal(live.requests.length, 100, 'every live event delivered')
  t.equal(dispatcher.leasedSoFar().byHandoff - leased.byHandoff, 100, 'each handed off at ingest: none waited behind the backlog for a claim')
  t.equal(spent(), before, 'and no further attempt at the dead receiver')
  // How fast ingest stays meanwhile is measured by npm run bench (bench/dead-receiver.ts).
})
