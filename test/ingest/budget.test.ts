// A cap on the bytes verified webhooks hold while they wait for a stalled
// store: past server.ingestMaxBytesInFlight ingest answers 503 with
// Retry-After at once, instead of queueing body copies without bound; the
// cap and the use are in /metrics.
import t from 'tap'
import { PER_WEBHOOK_BYTES } from '../../src/ingest/budget.js'
import { build, TestClock } from '../helper.js'
import { recordEventsReached } from '../fixtures/writes-reached.js'
import { holdWriteLock, signed } from '../lock-holder.js'

t.test('past the cap a webhook is refused 503 HG_ERR_OVERLOADED with Retry-After at once; taken again once the queue drains', async (t) => {
  const size = Buffer.byteLength(signed(new TestClock()).body) + PER_WEBHOOK_BYTES
  const fits = Math.floor(8 * 1024 / size)
  t.ok(fits >= 1, `${fits} webhooks of ${size} bytes fit`)
  const writes = recordEventsReached(fits)
  const { app, clock, config } = await build(t, { wrapStore: writes.wrapStore, config: { server: { ingestMaxBytesInFlight: 8 * 1024, ingestTimeoutMs: 60_000 } } })
  const post = (request = signed(clock)) => app.inject({ method: 'POST', url: '/webhooks/clerk', headers: request.headers, payload: request.body })

  const release = await holdWriteLock(t, config.storage)
  const waiting = Array.from({ length: fits }, () => post())
  await writes.reached

  // Answered while the others still wait on the lock (ingestTimeoutMs is a minute): refused at once, not queued.
  const refused = await post()
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
