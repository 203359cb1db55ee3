// Two gateways sharing one store: two Dispatchers (two lease owners) on one
// store in one process (on SQLite the honest way: its instance lock admits
// one process per file; npm test runs these on PostgreSQL too, where the
// signals go through the server). A is the built app's, B a second one on
// the same store, config and clock. Time moves only by the test clock.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { createSenderRegistry } from '../../src/destinations/registry.js'
import { Dispatcher } from '../../src/outbox/dispatcher.js'
import { BEAT_INTERVAL_MS, STALE_AFTER_MS } from '../../src/outbox/liveness.js'
import { PAUSE_READ_INTERVAL_MS } from '../../src/outbox/pause-watch.js'
import type { Store } from '../../src/store/contract.js'
import { TestClock } from '../helper.js'
import { admin, buildAdmin } from '../fixtures/admin.js'
import { attempts, deliveries, ingest } from '../fixtures/events.js'
import { startReceiver, type Script } from '../fixtures/receiver.js'
import { signalsFlow } from '../fixtures/signals.js'

const S = 1000
const quiet = { info () {}, warn () {}, error () {} }

/**
 * The store as B sees it: `next(method)` resolves once B's next call of it
 * has settled, so a test waits on what B did, not on time. `overrides`
 * replace members (a store that says it is shared, a beat that fails).
 */
function watched (store: Store, overrides: Partial<Record<keyof Store, unknown>> = {}) {
  const waiting = new Map<string, Array<() => void>>()
  const proxy = new Proxy(store, {
    get (target, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof Store]
      const value: unknown = Reflect.get(target, key, target)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args)
        const done = () => { for (const resolve of waiting.get(String(key))?.splice(0) ?? []) resolve() }
        if (result instanceof Promise) result.then(done, done)
        else done()
        return result
      }
    }
  })
  const next = (method: keyof Store) => new Promise<void>((resolve) => {
    waiting.set(method, [...(waiting.get(method) ?? []), resolve])
  })
  return { store: proxy, next }
}

async function twoGateways (t: Test, script: Script, options: { overrides?: Partial<Record<keyof Store, unknown>>, destination?: Record<string, unknown>, bTimeoutMs?: number } = {}) {
  const clock = new TestClock()
  const receiver = await startReceiver(t, script)
  const { app } = await buildAdmin(t, {
    clock,
    config: { delivery: { pollIntervalMs: 600_000 } },
    destinations: { hooks: { url: receiver.url, timeoutMs: 60_000, ...options.destination } }
  })
  const view = watched(app.hookgate.store, options.overrides)
  const { config } = app.hookgate
  const bConfig = options.bTimeoutMs === undefined ? config : { ...config, destinations: { hooks: { ...config.destinations.hooks!, timeoutMs: options.bTimeoutMs } } }
  const b = new Dispatcher({ config: bConfig, store: view.store, clock, senders: createSenderRegistry(clock), log: quiet, random: () => 0.5 })
  t.teardown(() => b.stop(0))
  return { app, a: app.hookgate.dispatcher, b, clock, receiver, next: view.next }
}

const lockedBy = async (app: FastifyInstance) => (await deliveries(app)).map((d) => d.locked_by)

t.test('a live gateway\'s lease is never taken by another, however long its receiver takes', async (t) => {
  // B's receiver may take 10 minutes; A's leases would expire after 2 × 60 s + 60 s.
  const { app, a, b, clock, receiver } = await twoGateways(t, ['hold'], { bTimeoutMs: 600_000 })
  await ingest(app, 1)
  const sending = b.runOnce()
  await receiver.received(1)
  // Past the takeover window many times, and past A's lease lifetime: B beats throughout.
  for (let s = 0; s < 200; s += BEAT_INTERVAL_MS / S) {
    clock.advance(BEAT_INTERVAL_MS)
    t.same(await b.runOnce(), { claimed: 0, settled: 0 })
    t.same(await a.runOnce(), { claimed: 0, settled: 0 })
  }
  t.same(await lockedBy(app), [b.owner])
  receiver.release()
  t.same(await sending, { claimed: 1, settled: 1 })
  t.equal(receiver.requests.length, 1, 'sent once')
  t.match(await attempts(app), [{ attempt: 1, status_code: 200 }])
})

t.test('a gateway that stops beating has its leases taken over by the other after the window, and the delivery sent again', async (t) => {
  const { app, a, b, clock, receiver } = await twoGateways(t, ['hang'])
  await ingest(app, 1)
  void b.runOnce() // its attempt never ends: as good as a killed process, once it beats no more
  await receiver.received(1)
  t.equal(STALE_AFTER_MS, 15 * S)
  const claimedAt: number[] = []
  for (let s = 5; s <= 30; s += 5) {
    clock.advance(5 * S)
    claimedAt.push((await a.runOnce()).claimed)
  }
  t.same(claimedAt, [0, 0, 1, 0, 0, 0], 'taken at 15 s, on A\'s beat: within 30 s of the kill')
  t.equal(receiver.requests.length, 2)
  t.match(await deliveries(app), [{ status: 'delivered', attempts: 2, locked_by: null }])
  t.match(await attempts(app), [
    { attempt: 1, status_code: null, error: /^no outcome: the gateway holding the lease stopped beating/ },
    { attempt: 2, status_code: 200 }
  ])
})

t.test('after the store was unreachable, a gateway takes nobody\'s leases until it has beaten for a whole window', async (t) => {
  let down = false
  const { app, b, clock, receiver } = await twoGateways(t, ['hold'])
  const c = watched(app.hookgate.store, { beat: async (args: Parameters<Store['beat']>[0]) => { if (down) throw new Error('the database is down'); await app.hookgate.store.beat(args) } })
  const third = new Dispatcher({ config: app.hookgate.config, store: c.store, clock, senders: createSenderRegistry(clock), log: quiet })
  t.teardown(() => third.stop(0))
  await ingest(app, 1)
  const sending = b.runOnce()
  await receiver.received(1)
  await third.runOnce() // beats
  down = true
  clock.advance(20 * S) // B cannot beat either while the database is down
  t.same(await third.runOnce(), { claimed: 0, settled: 0 }, 'its beat fails')
  down = false
  for (let s = 0; s < 30; s += 5) {
    clock.advance(5 * S)
    // The third gateway beats first: B's last beat is then 25 s old, yet B is alive and beats right after.
    t.same(await third.runOnce(), { claimed: 0, settled: 0 })
    t.same(await b.runOnce(), { claimed: 0, settled: 0 })
  }
  t.same(await lockedBy(app), [b.owner], 'B\'s lease held throughout')
  receiver.release()
  await sending
})

t.test('a gateway booting beside a live one on a shared store leaves its leases alone; on an exclusive store it frees them all', async (t) => {
  const { app, a, clock, receiver } = await twoGateways(t, ['hold'])
  await ingest(app, 1)
  const sending = a.runOnce()
  await receiver.received(1)
  const shared = watched(app.hookgate.store, { exclusive: false }).store
  const booting = new Dispatcher({ config: app.hookgate.config, store: shared, clock, senders: createSenderRegistry(clock), log: quiet })
  t.equal(await booting.recover(), 0)
  t.same(await lockedBy(app), [a.owner])
  const exclusive = new Dispatcher({ config: app.hookgate.config, store: watched(app.hookgate.store, { exclusive: true }).store, clock, senders: createSenderRegistry(clock), log: quiet })
  t.equal(await exclusive.recover(), 1, 'one gateway per database: the lease can only be a dead process\'s')
  receiver.release()
  await sending
})

/** B running, concurrency 1: one delivery sending (held by the receiver), one leased ahead and waiting for the slot. */
async function oneSendingOneWaiting (t: Test) {
  const gateways = await twoGateways(t, ['hold'], { destination: { concurrency: 1 } })
  const { app, b, receiver } = gateways
  await ingest(app, 1)
  await ingest(app, 2)
  b.start()
  await signalsFlow(app.hookgate.store)
  await receiver.received(1)
  t.same(await lockedBy(gateways.app), [b.owner, b.owner], 'both leased to B')
  return gateways
}

t.test('a pause made on one gateway holds on the other at once: what waits in its memory goes back', async (t) => {
  const { app, b, clock, receiver, next } = await oneSendingOneWaiting(t)
  const start = clock.now()
  const gaveBack = next('unclaimDeliveries')
  t.equal((await admin(app, 'POST', '/admin/destinations/hooks/pause')).status, 200)
  await gaveBack
  t.match(await deliveries(app), [{ locked_by: b.owner, attempts: 1 }, { locked_by: null, attempts: 0 }], 'the waiting one given back, its attempt taken back')
  receiver.release()
  await b.idle()
  t.equal(receiver.requests.length, 1, 'nothing more sent while paused')
  t.equal(clock.now(), start, 'the signal did it: no clock move, no poll')

  const delivered = receiver.received(2)
  t.equal((await admin(app, 'POST', '/admin/destinations/hooks/resume')).status, 200)
  await delivered
  await b.idle()
  t.match(await deliveries(app), [{ status: 'delivered' }, { status: 'delivered' }], 'the resume, on A, released it on B at once')
})

t.test('a pause whose signal was lost holds on the other gateway within a second, on the clock', async (t) => {
  const { app, b, clock, receiver, next } = await oneSendingOneWaiting(t)
  const pausedAt = clock.now()
  await app.hookgate.store.setPaused({ name: 'hooks', paused: true, now: pausedAt }) // no signal
  let given = false
  const gaveBack = next('unclaimDeliveries').then(() => { given = true })
  clock.advance(PAUSE_READ_INTERVAL_MS - 1)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(given, false, 'not read again yet')
  clock.advance(1)
  await gaveBack
  t.ok(clock.now() - pausedAt <= 2 * S, `held after ${clock.now() - pausedAt} ms`)
  receiver.release()
  await b.idle()
  t.equal(receiver.requests.length, 1)
  t.match(await deliveries(app), [{ status: 'delivered' }, { locked_by: null, status: 'pending', attempts: 0 }])
})

t.test('a replay on one gateway wakes the other at once, without a poll', async (t) => {
  const { app, b, clock, receiver } = await twoGateways(t, [])
  const id = await ingest(app, 1)
  b.start()
  await signalsFlow(app.hookgate.store)
  await receiver.received(1)
  await b.idle()
  const start = clock.now()
  const again = receiver.received(2)
  t.equal((await admin(app, 'POST', `/admin/events/${id}/replay`)).status, 202)
  await again
  await b.idle()
  t.equal(clock.now(), start, 'the clock never moved: B heard A\'s signal')
  t.match(await deliveries(app), [{ status: 'delivered' }, { status: 'delivered' }])
})

t.test('a gateway stopping gracefully gives its leases back and the other takes them at once', async (t) => {
  const { app, a, b, clock, receiver } = await twoGateways(t, [])
  await ingest(app, 1)
  // As B's claim leaves it: leased to B, not yet started.
  await app.hookgate.store.claimDeliveries({ now: clock.now(), owner: b.owner, slots: { hooks: 1 }, limit: 1 })
  a.start()
  await signalsFlow(app.hookgate.store)
  await a.idle()
  t.equal(receiver.requests.length, 0, 'A leaves B\'s lease alone')
  const start = clock.now()
  await b.stop(1000)
  await receiver.received(1)
  await a.idle()
  t.equal(clock.now(), start, 'no poll: B\'s signal woke A')
  t.match(await deliveries(app), [{ status: 'delivered', locked_by: null }])
})

t.test('a bulk retry of dead deliveries on one gateway wakes the other at once', async (t) => {
  const { app, b, clock, receiver } = await twoGateways(t, [{ status: 400 }, { status: 400 }])
  await ingest(app, 1)
  await ingest(app, 2)
  b.start()
  await signalsFlow(app.hookgate.store)
  await receiver.received(2)
  await b.idle()
  t.match(await deliveries(app), [{ status: 'dead' }, { status: 'dead' }])
  const start = clock.now()
  const again = receiver.received(4)
  t.match(await admin(app, 'POST', '/admin/deliveries/retry', { status: 'dead' }), { status: 200, body: { count: 2 } })
  await again
  await b.idle()
  t.equal(clock.now(), start, 'the clock never moved: B heard A\'s signal')
  t.match(await deliveries(app), [{ status: 'delivered' }, { status: 'delivered' }])
})

t.test('deliveries one gateway hastens when a receiver answers again wake the other at once', async (t) => {
  const { app, a, b, clock, receiver } = await twoGateways(t, [{ status: 503 }, { status: 503 }])
  await ingest(app, 1)
  await ingest(app, 0)
  t.same(await a.runOnce(), { claimed: 2, settled: 2 }, 'both fail (the receiver looks down): they wait 5 s for their retry')
  b.start()
  await signalsFlow(app.hookgate.store)
  await b.idle()
  await ingest(app, 2)
  const start = clock.now()
  const hastened = receiver.received(5)
  t.same(await a.runOnce(), { claimed: 1, settled: 1 }, 'the receiver answers again: A hastens the two')
  await hastened
  await b.idle()
  t.equal(clock.now(), start, 'not at their retry time: B heard A\'s signal')
  t.match(await deliveries(app), [{ status: 'delivered', attempts: 2 }, { status: 'delivered', attempts: 2 }, { status: 'delivered', attempts: 1 }])
})
