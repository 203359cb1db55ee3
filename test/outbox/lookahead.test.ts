/**
 * The running loop claims up to twice a destination's concurrency: the rows
 * beyond its free slots wait in memory, leased, and start as slots free,
 * without a round trip through the writer. They are never more than the slots
 * allow in flight, and any that never started are given back with the attempt
 * their claim counted taken back: when the breaker trips, and at stop.
 */
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { build } from '../helper.js'
import { deliveries, ingest } from '../fixtures/events.js'
import { startReceiver, type Receiver } from '../fixtures/receiver.js'

/** How many requests the receiver got per gateway event id. */
function sentPerEvent (receiver: Receiver): Map<string, number> {
  const counts = new Map<string, number>()
  for (const r of receiver.requests) {
    const id = JSON.parse(r.body.toString()).id as string
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

/** n events written while the destination was paused, then released at once: a backlog only claims can take. */
async function backlog (app: FastifyInstance, n: number): Promise<void> {
  // As the admin API pauses: the store, then the dispatcher told (it keeps the states in memory, and the test clock never reaches its re-read).
  const pause = async (paused: boolean) => {
    await app.hookgate.store.setPaused({ name: 'hooks', paused, now: app.hookgate.clock.now() })
    app.hookgate.dispatcher.pauseChanged('hooks')
  }
  await pause(true)
  for (let i = 0; i < n; i++) await ingest(app, i)
  await pause(false)
  app.hookgate.dispatcher.nudge()
}

/** Every delivery's attempt count is the number of times it was really sent. */
async function attemptsMatchSends (t: Test, app: FastifyInstance, receiver: Receiver): Promise<void> {
  const sent = sentPerEvent(receiver)
  const wrong = (await deliveries(app)).filter((d) => d.attempts !== (sent.get(d.event_id as string) ?? 0))
  t.same(wrong, [], 'attempts count only what was sent')
}

t.test('claims ahead of the free slots, but never sends more at once than they allow', async (t) => {
  const receiver = await startReceiver(t, () => 'hang')
  const { app } = await build(t, { startDispatcher: true, config: { destinations: { hooks: { url: receiver.url, concurrency: 2, timeoutMs: 60_000 } } } })
  await backlog(app, 6)
  await receiver.received(2)
  await app.hookgate.dispatcher.runOnce() // the claim the nudge started is over, and this one finds no room
  const leased = (await deliveries(app)).filter((d) => d.locked_at !== null)
  t.equal(leased.length, 4, 'two in flight and two claimed ahead')
  t.equal(receiver.requests.length, 2, 'only two sent')
  await app.hookgate.dispatcher.stop(0) // the two never get an answer: interrupt them rather than wait out the grace period
})

t.test('a tripped breaker gives back what was claimed ahead, attempts untouched', async (t) => {
  const receiver = await startReceiver(t, () => ({ status: 503 }))
  const { app, logs } = await build(t, {
    startDispatcher: true,
    config: { destinations: { hooks: { url: receiver.url, concurrency: 2, retry: { schedule: ['0s', '1h'] } } } }
  })
  const dispatcher = app.hookgate.dispatcher
  await backlog(app, 12)
  // The clock stays still: the breaker's pause (1 s) never ends here, so no probe muddles the count.
  await dispatcher.idle()
  t.ok(logs.some((line) => line.includes('destination keeps failing')), 'the breaker tripped')
  const sent = receiver.requests.length
  t.ok(sent >= 5 && sent <= 6, `five failures in a row trip it, with at most one more already out (${sent} sent)`)
  t.same((await deliveries(app)).filter((d) => d.locked_at !== null), [], 'during the pause nothing is leased: what was claimed ahead went back')
  t.equal((await deliveries(app)).filter((d) => d.attempts === 0).length, 12 - sent, 'and its attempts were taken back')
  await dispatcher.stop(5000)
  await attemptsMatchSends(t, app, receiver)
})

t.test('a stop gives back what was claimed ahead; what was in flight is settled to run again', async (t) => {
  const receiver = await startReceiver(t, () => 'hang')
  const { app } = await build(t, { startDispatcher: true, config: { destinations: { hooks: { url: receiver.url, concurrency: 1, timeoutMs: 60_000 } } } })
  await backlog(app, 3)
  await receiver.received(1)
  await app.hookgate.dispatcher.runOnce()
  t.equal((await deliveries(app)).filter((d) => d.locked_at !== null).length, 2, 'one in flight, one claimed ahead')
  await app.hookgate.dispatcher.stop(0) // the receiver never answers: the attempt is interrupted
  t.match(await deliveries(app), [
    { status: 'pending', attempts: 1, locked_at: null, last_error: /interrupted/ },
    { status: 'pending', attempts: 0, locked_at: null },
    { status: 'pending', attempts: 0, locked_at: null }
  ])
  await attemptsMatchSends(t, app, receiver)
})
