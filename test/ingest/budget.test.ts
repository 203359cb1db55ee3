// A cap on the bytes verified webhooks hold while they wait for a stalled
// store: past server.ingestMaxBytesInFlight ingest answers 503 with
// Retry-After at once, instead of queueing body copies without bound; the
// cap and the use are in /metrics.
import t from 'tap'
import { PER_WEBHOOK_BYTES } from '../../src/ingest/budget.js'
import { build, sqlite } from '../helper.js'
import { holdWriteLock, signed } from '../lock-holder.js'

t.test('past the cap a webhook is refused 503 HG_ERR_OVERLOADED with Retry-After at once; taken again once the queue drains', async (t) => {
  const { app, clock, config } = await build(t, { config: { server: { ingestMaxBytesInFlight: 8 * 1024, ingestTimeoutMs: 60_000 } } })
  const post = (request = signed(clock)) => app.inject({ method: 'POST', url: '/webhooks/clerk', headers: request.headers, payload: request.body })
  const size = Buffer.byteLength(signed(clock).body) + PER_WEBHOOK_BYTES
  const fits = Math.floor(8 * 1024 / size)
  t.ok(fits >= 1, `${fits} webhooks of ${size} bytes fit`)

  const release = await holdWriteLock(t, config.storage.path)
  const waiting = Array.from({ length: fits }, () => post())
  while (sqlite(app).writer.depth.inFlight + sqlite(app).writer.depth.queued < fits) await new Promise((resolve) => setImmediate(resolve))

  const started = performance.now()
  const refused = await post()
  t.ok(performance.now() - started < 500, 'at once, not after the stall')
  t.equal(refused.statusCode, 503)
  t.equal(refused.headers['retry-after'], '5')
  t.equal(refused.json().code, 'HG_ERR_OVERLOADED')
  t.notMatch(refused.body, /SQLITE|writer/i, 'says what to do, not how the store is built')

  const metrics = await app.inject('/metrics')
  t.match(metrics.body, /^hookgate_ingest_in_flight_limit_bytes 8192$/m)
  t.match(metrics.body, new RegExp(`^hookgate_ingest_in_flight_bytes ${fits * size}$`, 'm'))

  await release()
  t.same((await Promise.all(waiting)).map((a) => a.statusCode), Array(fits).fill(200), 'the waiting ones commit once the lock goes')
  t.equal((await post()).statusCode, 200, 'room again')
  t.match((await app.inject('/metrics')).body, /^hookgate_ingest_in_flight_bytes 0$/m)
})

t.test('an empty budget takes a webhook larger than the cap', async (t) => {
  const { app, clock } = await build(t, { config: { server: { ingestMaxBytesInFlight: 1024 } } })
  const request = signed(clock)
  t.equal((await app.inject({ method: 'POST', url: '/webhooks/clerk', headers: request.headers, payload: request.body })).statusCode, 200)
})
