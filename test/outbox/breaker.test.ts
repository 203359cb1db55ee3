import t from 'tap'
import { Breakers, MAX_PAUSE_MS, TRIP_AFTER_FAILURES } from '../../src/outbox/breaker.js'
import { build, watchStore } from '../helper.js'
import { deliveries, ingest } from '../fixtures/events.js'
import { startReceiver } from '../fixtures/receiver.js'

const NOW = 1_000_000

t.test('lets everything through until failures in a row reach the threshold', async (t) => {
  const b = new Breakers()
  for (let i = 1; i < TRIP_AFTER_FAILURES; i++) t.equal(b.record('d', 'failure', NOW), null)
  t.equal(b.admission('d', NOW, 0), 'flowing')
  t.equal(b.record('d', 'failure', NOW), 1000, 'the fifth trips it for 1 s')
  t.equal(b.admission('d', NOW, 0), 'held')
  t.equal(b.admission('other', NOW, 0), 'flowing', 'per destination')
  t.equal(b.nextProbeAt(NOW), NOW + 1000)
})

t.test('an answer in between starts the count again', async (t) => {
  const b = new Breakers()
  for (let i = 0; i < 3 * TRIP_AFTER_FAILURES; i++) b.record('d', i % TRIP_AFTER_FAILURES === 0 ? 'answer' : 'failure', NOW)
  t.equal(b.admission('d', NOW, 0), 'flowing')
})

t.test('after the pause allows one probe; a failed probe doubles the pause up to the cap', async (t) => {
  const b = new Breakers()
  for (let i = 0; i < TRIP_AFTER_FAILURES; i++) b.record('d', 'failure', NOW)
  t.equal(b.record('d', 'failure', NOW + 500), null, 'late failures of attempts already in flight do not extend it')
  t.equal(b.admission('d', NOW + 1000, 0), 'probe')
  t.equal(b.admission('d', NOW + 1000, 1), 'held', 'one probe at a time')
  const pauses = []
  let now = NOW + 1000
  for (let i = 0; i < 10; i++) {
    const pause = b.record('d', 'failure', now)!
    pauses.push(pause)
    now += pause
  }
  t.same(pauses, [2000, 4000, 8000, 16_000, 32_000, MAX_PAUSE_MS, MAX_PAUSE_MS, MAX_PAUSE_MS, MAX_PAUSE_MS, MAX_PAUSE_MS])
  t.equal(b.record('d', 'answer', now), null)
  t.equal(b.admission('d', now, 0), 'flowing', 'a successful probe closes it')
  t.equal(b.nextProbeAt(now), null)
})

t.test('a destination that keeps failing is paused without spending its backlog\'s attempts', async (t) => {
  let up = false
  const receiver = await startReceiver(t, () => up ? { status: 200 } : { status: 503 })
  const { app, clock } = await build(t, { config: { destinations: { hooks: { url: receiver.url, concurrency: 5 } } } })
  for (let i = 0; i < 50; i++) await ingest(app, i)
  const dispatcher = app.hookgate.dispatcher
  t.same(await dispatcher.runOnce(), { claimed: 5, settled: 5 }, 'five fail: it trips')
  clock.advance(999)
  t.same(await dispatcher.runOnce(), { claimed: 0, settled: 0 }, 'paused, though 45 are due')
  clock.advance(1)
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 }, 'one probe')
  clock.advance(1000)
  t.same(await dispatcher.runOnce(), { claimed: 0, settled: 0 }, 'the failed probe doubled the pause')
  up = true
  clock.advance(1000)
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 }, 'the next probe succeeds')
  while ((await dispatcher.runOnce()).claimed > 0) clock.advance(5000)
  t.equal(receiver.requests.length, 56, '6 failures in all, then each event once')
  t.ok((await deliveries(app)).every((d) => d.status === 'delivered'))
  t.equal((await deliveries(app)).filter((d) => d.attempts === 1).length, 44, 'the backlog was not charged for the outage')
})

t.test('while the breaker holds a destination, new webhooks do not make the running loop claim', async (t) => {
  const receiver = await startReceiver(t, () => ({ status: 503 }))
  // Watch the real store's calls: a claim is one store call.
  const calls: string[] = []
  const { app, clock } = await build(t, { config: { destinations: { hooks: { url: receiver.url, concurrency: 5 } } }, wrapStore: (store) => watchStore(store, calls) })
  for (let i = 0; i < 5; i++) await ingest(app, i)
  const dispatcher = app.hookgate.dispatcher
  t.same(await dispatcher.runOnce(), { claimed: 5, settled: 5 }, 'five fail: it trips')
  const from = calls.length
  const since = (): string[] => calls.slice(from)
  dispatcher.start()
  for (let i = 5; i < 25; i++) await ingest(app, i)
  t.same(since().filter((op) => op === 'claimDeliveries'), [], '20 nudges, no claim while paused')
  t.equal(since().filter((op) => op === 'recordEvent').length, 20)
  clock.advance(1000)
  await ingest(app, 25)
  t.same(since().filter((op) => op === 'claimDeliveries'), ['claimDeliveries'], 'the pause is over: the next nudge claims (the probe)')
  await dispatcher.stop(1000)
})

t.test('a destination that answers again gets what failed meanwhile out at once, its concurrency at a time', async (t) => {
  let up = false
  const receiver = await startReceiver(t, () => up ? { status: 200 } : { status: 503 })
  const { app, clock } = await build(t, { config: { destinations: { hooks: { url: receiver.url, concurrency: 2 } } } })
  const dispatcher = app.hookgate.dispatcher
  for (let i = 0; i < 3; i++) await ingest(app, i)
  t.same(await dispatcher.runOnce(), { claimed: 2, settled: 2 })
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 })
  t.same(await dispatcher.runOnce(), { claimed: 0, settled: 0 }, 'three wait 5 s for their retry')
  // After idle(): the hastening runs on the side once an answer comes, and runOnce() returns when the attempts have settled.
  const due = async () => {
    await dispatcher.idle()
    return (await deliveries(app)).filter((d) => d.status === 'pending' && (d.run_at as number) <= clock.now()).length
  }

  up = true
  await ingest(app, 3)
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 }, 'a new event: the destination answers again')
  t.equal(await due(), 2, 'the first answer makes as many due as the destination takes at once, not all three')
  t.same(await dispatcher.runOnce(), { claimed: 2, settled: 2 })
  t.equal(await due(), 1, 'each further answer one more')
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 })
  t.same(await dispatcher.runOnce(), { claimed: 0, settled: 0 })
  t.ok((await deliveries(app)).every((d) => d.status === 'delivered' && d.attempts === (d.id === 4 ? 1 : 2)), 'all delivered, without waiting for the clock')
})

t.test('an event the receiver refuses alone, while it answers the others, keeps its retry schedule: the payload failed, not the destination', async (t) => {
  const receiver = await startReceiver(t, (request) => ({ status: request.body.includes('user_poison') ? 500 : 200 }))
  const { app, clock } = await build(t, { config: { destinations: { hooks: { url: receiver.url } } } })
  const dispatcher = app.hookgate.dispatcher
  await ingest(app, 'poison')
  await dispatcher.runOnce()
  for (let i = 0; i < 20; i++) {
    await ingest(app, i)
    await dispatcher.runOnce()
    await dispatcher.idle()
  }
  t.match((await deliveries(app))[0], { status: 'pending', attempts: 1, run_at: clock.now() + 5000 }, 'still on its first retry, 5 s away, after 20 answers to others')
  t.equal(receiver.requests.filter((r) => r.body.includes('user_poison')).length, 1)
})

t.test('a failure while catching up stops it; a destination that never failed costs no extra write', async (t) => {
  let answers: Array<200 | 503> = [503, 503, 503, 200, 503]
  const receiver = await startReceiver(t, () => ({ status: answers.shift() ?? 200 }))
  const calls: string[] = []
  const { app, clock } = await build(t, { config: { destinations: { hooks: { url: receiver.url, concurrency: 1 } } }, wrapStore: (store) => watchStore(store, calls) })
  const dispatcher = app.hookgate.dispatcher
  for (let i = 0; i < 3; i++) await ingest(app, i)
  for (let i = 0; i < 3; i++) await dispatcher.runOnce()
  await ingest(app, 3)
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 }, 'answers: one waiting delivery is made due')
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 }, 'it fails again')
  t.same(await dispatcher.runOnce(), { claimed: 0, settled: 0 }, 'the other two keep their schedule')
  clock.advance(5_000)
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 }, 'and are sent when it comes')

  const from = calls.length
  const since = (): string[] => calls.slice(from)
  answers = []
  while ((await dispatcher.runOnce()).claimed > 0) clock.advance(300_000)
  const hastens = since().filter((op) => op === 'hastenDeliveries').length
  for (let i = 10; i < 20; i++) await ingest(app, i)
  while ((await dispatcher.runOnce()).claimed > 0);
  t.equal(since().filter((op) => op === 'hastenDeliveries').length, hastens, 'ten deliveries to a healthy destination, no hastening write')
  t.ok((await deliveries(app)).every((d) => d.status === 'delivered'))
})
