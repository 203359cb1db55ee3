import t from 'tap'
import { READY_PROBE_INTERVAL_MS } from '../src/health.js'
import { build, sqlite, watchStore } from './helper.js'

/** What the last readiness write stored: the clock reading of the probe that wrote it. */
const probedAt = (app: Awaited<ReturnType<typeof build>>['app']): number | undefined => {
  const row = sqlite(app).db.prepare("SELECT value FROM meta WHERE key = 'ready_probe'").get() as { value: string } | undefined
  return row === undefined ? undefined : Number(row.value)
}

t.test('/health/ready writes at most once per interval and serves that verdict in between', async (t) => {
  const calls: string[] = []
  const { app, clock } = await build(t, { wrapStore: (store) => watchStore(store, calls) })
  const probes = () => calls.filter((call) => call === 'probeWrite').length

  const t0 = clock.now()
  const burst = await Promise.all(Array.from({ length: 20 }, () => app.inject('/health/ready')))
  t.same(burst.map((r) => r.statusCode), Array(20).fill(200))
  t.equal(probes(), 1, '20 probes at once: one write')
  t.equal(probedAt(app), t0)

  clock.advance(READY_PROBE_INTERVAL_MS - 1)
  t.equal((await app.inject('/health/ready')).statusCode, 200)
  t.equal(probes(), 1, 'within the interval: the cached verdict, no write')
  t.equal(probedAt(app), t0)

  clock.advance(1)
  t.equal((await app.inject('/health/ready')).statusCode, 200)
  t.equal(probes(), 2, 'once the interval has passed: probed again')
  t.equal(probedAt(app), t0 + READY_PROBE_INTERVAL_MS)
})

t.test('a failed probe is served as 503 with its code until the next interval', async (t) => {
  const { app, clock, logs } = await build(t)
  await sqlite(app).writer.close()
  const first = await app.inject('/health/ready')
  t.equal(first.statusCode, 503)
  t.equal(first.json().code, 'HG_ERR_STORAGE_UNAVAILABLE')
  const again = await app.inject('/health/ready')
  t.equal(again.statusCode, 503, 'cached')
  t.equal(logs.filter((l) => l.includes('readiness probe write failed')).length, 1, 'one probe, one warning')
  clock.advance(READY_PROBE_INTERVAL_MS)
  t.equal((await app.inject('/health/ready')).statusCode, 503)
  t.equal(logs.filter((l) => l.includes('readiness probe write failed')).length, 2, 'probed again after the interval')
})
