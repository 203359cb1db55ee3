import t, { type Test } from 'tap'
import { attemptDelivery, type AttemptContext, type SettledAttempt } from '../../src/outbox/attempt.js'
import type { Sender } from '../../src/destinations/sender.js'
import { build, sqlite, sqliteOnly } from '../helper.js'
import { attempts, deliveries, ingest } from '../fixtures/events.js'

const quiet = { info () {}, warn () {}, error () {} }
const throwing = { info () { throw new Error('log down') }, warn () { throw new Error('log down') }, error () { throw new Error('log down') } }

async function claimed (t: Test, sender: Sender) {
  const { app, clock } = await build(t, { config: { destinations: { hooks: { url: 'http://127.0.0.1:9/' } } } })
  await ingest(app, 1)
  const { claimed: [delivery] } = await app.hookgate.store.claimDeliveries({ now: clock.now(), owner: 'test', slots: { hooks: 1 }, limit: 1 })
  const ctx: AttemptContext = {
    destination: app.hookgate.config.destinations.hooks!,
    sender,
    store: app.hookgate.store,
    clock,
    random: () => 0.5,
    log: quiet,
    observe: undefined,
    signal: new AbortController().signal
  }
  return { app, delivery: delivery!, ctx }
}

const ok: Sender = { send: async () => ({ ok: true, status: 200, response: 'fine' }), close: async () => {} }

t.test('settles a delivery whose sender throws (a bug) as a retry', async (t) => {
  const { app, delivery, ctx } = await claimed(t, { send: async () => { throw new TypeError('boom') }, close: async () => {} })
  const end = await attemptDelivery(delivery, ctx)
  t.match(await deliveries(app), [{ status: 'pending', locked_at: null, last_error: 'internal error while sending' }])
  t.same(end, { settled: true, health: 'failure', retryAt: (await deliveries(app))[0]!.run_at }, 'the retry time it set is reported, for the dispatcher\'s timer')
})

t.test('settles even when every log call throws', async (t) => {
  const { app, delivery, ctx } = await claimed(t, ok)
  t.same(await attemptDelivery(delivery, { ...ctx, log: throwing }), { settled: true, health: 'answer' })
  t.match(await deliveries(app), [{ status: 'delivered' }])
  t.match(await attempts(app), [{ status_code: 200, response_body: 'fine' }])
})

t.test('tells the observer about each settled attempt, and ignores an observer that throws', async (t) => {
  const { delivery, ctx } = await claimed(t, ok)
  const seen: SettledAttempt[] = []
  await attemptDelivery(delivery, { ...ctx, observe: (a) => { seen.push(a); throw new Error('metrics down') } })
  t.match(seen, [{ destination: 'hooks', result: 'delivered', durationMs: Number, receivedAt: Number, endedAt: Number }])
})

t.test('reports a settle that could not be written, leaving the lease for the reclaim', async (t) => {
  if (sqliteOnly(t)) return
  const { app, delivery, ctx } = await claimed(t, ok)
  await sqlite(app).writer.close()
  t.same(await attemptDelivery(delivery, ctx), { settled: false, health: 'answer' })
  t.match(await deliveries(app), [{ status: 'pending', locked_by: 'test' }])
})

t.test('an attempt cut short by a stop is settled to run again at once', async (t) => {
  const controller = new AbortController()
  const { app, delivery, ctx } = await claimed(t, { send: async () => { controller.abort(); return { ok: false, retry: true, reason: 'aborted: stopping' } }, close: async () => {} })
  t.same(await attemptDelivery(delivery, { ...ctx, signal: controller.signal }), { settled: true, health: 'interrupted', retryAt: ctx.clock.now() })
  t.match(await deliveries(app), [{ status: 'pending', run_at: ctx.clock.now(), last_error: 'interrupted: the gateway was stopping' }])
})
