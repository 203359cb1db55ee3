import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LEASE_MARGIN_MS, SWEEP_INTERVAL_MS } from '../../src/outbox/lease-sweep.js'
import { STALE_AFTER_MS } from '../../src/outbox/liveness.js'
import { build, storedRows, TestClock } from '../helper.js'
import { attempts, deliveries, ingest } from '../fixtures/events.js'
import { startReceiver } from '../fixtures/receiver.js'


t.test('a delivery a killed process left leased is reclaimed, at boot on an exclusive store, after the takeover window on a shared one, and sent again', async (t) => {
  const receiver = await startReceiver(t, [])
  // Outside t.testdir(): build() resets that folder, and this file must outlive the first gateway.
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-boot-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const dbPath = join(dir, 'hookgate.db')
  const config = { destinations: { hooks: { url: receiver.url } } }
  const first = await build(t, { config, dbPath })
  await ingest(first.app, 1)
  // As a crash leaves it: claimed by a process that never settled.
  const { claimed } = await first.app.hookgate.store.claimDeliveries({ now: first.clock.now(), owner: 'host:999:dead', slots: { hooks: 10 }, limit: 10 })
  t.equal(claimed.length, 1)
  await first.app.close()
  t.match(await storedRows(first.config, 'SELECT locked_by, attempts FROM deliveries'), [{ locked_by: 'host:999:dead', attempts: 1 }], 'a graceful stop releases only its own leases')

  const clock = new TestClock(first.clock.now() + 60_000)
  const second = await build(t, { config, dbPath, clock })
  if (second.app.hookgate.store.exclusive) {
    t.match(await deliveries(second.app), [{ locked_at: null, locked_by: null, status: 'pending' }], 'reclaimed at boot: one gateway per database')
  } else {
    t.match(await deliveries(second.app), [{ locked_by: 'host:999:dead' }], 'left at boot: it could be a live replica\'s')
    t.same(await second.app.hookgate.dispatcher.runOnce(), { claimed: 0, settled: 0 })
    clock.advance(STALE_AFTER_MS) // this gateway has beaten for a whole window; the lease's owner never did
  }
  t.same(await second.app.hookgate.dispatcher.runOnce(), { claimed: 1, settled: 1 })
  t.equal(receiver.requests.length, 1)
  t.match(await deliveries(second.app), [{ status: 'delivered', attempts: 2 }])
  t.match(await attempts(second.app), [
    { attempt: 1, status_code: null, error: /^no outcome: the gateway (stopped while the delivery was leased to it|holding the lease stopped beating)/ },
    { attempt: 2, status_code: 200 }
  ])
})

t.test('the sweep reclaims leases older than the timeout and margin, and only those', async (t) => {
  const { app, clock } = await build(t, { config: { destinations: { hooks: { url: 'http://127.0.0.1:9/' } } } })
  await ingest(app, 1)
  await ingest(app, 2)
  const { store } = app.hookgate
  await store.claimDeliveries({ now: clock.now(), owner: 'me', slots: { hooks: 1 }, limit: 1 })
  clock.advance(60_000)
  await store.claimDeliveries({ now: clock.now(), owner: 'me', slots: { hooks: 1 }, limit: 1 })
  clock.advance(10_000)
  t.equal(await store.reclaimLeases({ now: clock.now(), olderThanMs: 70_000, why: 'the lease expired' }), 1)
  t.match(await deliveries(app), [{ locked_at: null, last_error: /lease expired/ }, { locked_by: 'me' }])
})

t.test('the dispatcher sweeps a lease left past the timeout and margin, and sends the delivery again', async (t) => {
  const receiver = await startReceiver(t, [])
  const { app, clock } = await build(t, { config: { destinations: { hooks: { url: receiver.url, timeoutMs: 5000 } } } })
  await ingest(app, 1)
  // Leased after boot by this gateway's own attempt that never settles (a lost settle, a bug): its beats keep it live.
  await app.hookgate.store.claimDeliveries({ now: clock.now(), owner: app.hookgate.dispatcher.owner, slots: { hooks: 1 }, limit: 1 })
  // Sweeps at 30 s and 60 s find it younger than two timeouts + margin (70 s); the one at 90 s frees it.
  t.equal(2 * 5000 + LEASE_MARGIN_MS, 70_000)
  for (const expected of [0, 0, 1]) {
    clock.advance(SWEEP_INTERVAL_MS)
    t.equal((await app.hookgate.dispatcher.runOnce()).claimed, expected)
  }
  t.match(await deliveries(app), [{ status: 'delivered', attempts: 2 }])
  t.match(await attempts(app), [{ attempt: 1, error: /^no outcome: the lease expired/ }, { attempt: 2, status_code: 200 }])
})

t.test('a graceful stop interrupts what outlives the grace period and leaves it to run at once', async (t) => {
  const receiver = await startReceiver(t, ['hang'])
  // No grace at all: the receiver never answers, so the attempt outlives it whatever the machine's speed.
  const { app, config } = await build(t, { config: { server: { shutdownGraceMs: 0 }, destinations: { hooks: { url: receiver.url, timeoutMs: 30_000 } } } })
  await ingest(app, 1)
  const now = app.hookgate.clock.now()
  const run = app.hookgate.dispatcher.runOnce()
  await receiver.received(1)
  await app.close()
  t.same(await run, { claimed: 1, settled: 1 }, 'closed with the attempt settled, not waiting for its 30 s timeout')
  t.match(await storedRows(config, 'SELECT * FROM deliveries'), [{ status: 'pending', attempts: 1, locked_at: null, locked_by: null, run_at: now }])
  t.match(await storedRows(config, 'SELECT * FROM attempts'), [{ attempt: 1, error: 'interrupted: the gateway was stopping' }])
})

t.test('a graceful stop lets a delivery in flight finish within the grace period', async (t) => {
  const receiver = await startReceiver(t, ['hold'])
  const { app, config } = await build(t, { config: { server: { shutdownGraceMs: 60_000 }, destinations: { hooks: { url: receiver.url } } } })
  await ingest(app, 1)
  const run = app.hookgate.dispatcher.runOnce()
  await receiver.received(1)
  const stopping = app.hookgate.dispatcher.stop(config.server.shutdownGraceMs)
  receiver.release() // the receiver answers while the stop waits
  await stopping
  t.same(await run, { claimed: 1, settled: 1 })
  await app.close()
  t.match(await storedRows(config, 'SELECT status, locked_at FROM deliveries'), [{ status: 'delivered', locked_at: null }])
})

t.test('the loop delivers on the nudge, without waiting for a poll', async (t) => {
  const receiver = await startReceiver(t, [])
  const { app, clock } = await build(t, { startDispatcher: true, config: { delivery: { pollIntervalMs: 600_000 }, destinations: { hooks: { url: receiver.url } } } })
  const start = clock.now()
  for (let i = 0; i < 50; i++) {
    await ingest(app, i)
    await app.hookgate.dispatcher.idle()
    t.equal(receiver.requests.length, i + 1, `event ${i} delivered before the next came in`)
  }
  // The clock never moved, so no poll or timer can have fired: the nudges did it all. How fast is for npm run bench.
  t.equal(clock.now(), start)
})

t.test('the loop wakes for a retry when it is due, not at the next poll', async (t) => {
  const receiver = await startReceiver(t, [{ status: 503 }])
  const { app, clock } = await build(t, {
    startDispatcher: true,
    config: { delivery: { pollIntervalMs: 600_000 }, destinations: { hooks: { url: receiver.url, retry: { schedule: ['0s', '100ms'] } } } }
  })
  const dispatcher = app.hookgate.dispatcher
  await ingest(app, 1)
  await dispatcher.idle()
  t.equal(receiver.requests.length, 1, 'the first attempt failed')
  clock.advance(99) // no jitter (random is pinned at 0.5)
  await dispatcher.idle()
  t.equal(receiver.requests.length, 1, 'not before the 100 ms')
  clock.advance(1)
  await dispatcher.idle()
  t.equal(receiver.requests.length, 2, 'the timer fired at 100 ms, 10 minutes before the poll')
  t.match(await deliveries(app), [{ status: 'delivered', attempts: 2 }])
})

t.test('at boot, warns about deliveries pending for a destination no longer in the config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-orphans-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const dbPath = join(dir, 'hookgate.db')
  const first = await build(t, { config: { destinations: { old: { url: 'http://127.0.0.1:9/' }, kept: { url: 'http://127.0.0.1:9/' } } }, dbPath })
  await ingest(first.app, 1)
  await ingest(first.app, 2)
  await first.app.close()

  const second = await build(t, { config: { destinations: { kept: { url: 'http://127.0.0.1:9/' } } }, dbPath })
  const warnings = second.logs.map((line) => JSON.parse(line) as { level: number, msg: string, destination?: string, pending?: number })
    .filter((line) => line.msg.startsWith('deliveries are pending for a destination that is not in the config'))
  t.match(warnings, [{ level: 40, destination: 'old', pending: 2 }], 'one warning, for the removed destination only')
  t.equal((await deliveries(second.app)).filter((d) => d.destination === 'old' && d.status === 'pending').length, 2, 'kept, not dropped')
})
