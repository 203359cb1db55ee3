// Another process holds SQLite's write lock (on PostgreSQL, another
// session's lock on the events table): every waiting webhook is
// answered 503 within server.ingestTimeoutMs (not busy_timeout once per item,
// which made ten requests wait 55 s), nothing refused is acknowledged, and
// once the lock goes the same webhooks are taken, each stored once.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import type { Config } from '../../src/config/load.js'
import { build, sqlite, storedRows, testDriver } from '../helper.js'
import { recordEventsReached } from '../fixtures/writes-reached.js'
import { holdWriteLock, signed } from '../lock-holder.js'

const INGEST_TIMEOUT_MS = 1000

const post = (app: FastifyInstance, request: ReturnType<typeof signed>) => app.inject({ method: 'POST', url: '/webhooks/clerk', headers: request.headers, payload: request.body })
const stored = async (config: Config) => (await storedRows(config, 'SELECT dedup_key FROM events')).map((row) => row.dedup_key as string)

t.test('a write lock held by another process: ten webhooks answered 503 at the ingest deadline, then taken once each', async (t) => {
  const writes = recordEventsReached(10)
  const { app, clock, config, logs } = await build(t, { wrapStore: writes.wrapStore, config: { server: { ingestTimeoutMs: INGEST_TIMEOUT_MS } } })
  const release = await holdWriteLock(t, config.storage)

  const requests = Array.from({ length: 10 }, () => signed(clock))
  const answering = Promise.all(requests.map((r) => post(app, r)))
  await writes.reached
  clock.advance(INGEST_TIMEOUT_MS)
  const answers = await answering
  t.same(answers.map((a) => a.statusCode), Array(10).fill(503), 'all refused')
  for (const answer of answers) t.equal(answer.json().code, 'HG_ERR_STORAGE_UNAVAILABLE')
  // The deadline's own cause: answered while the lock is still held, not after SQLite's busy wait gave up.
  t.match(logs.join(''), 'storing a verified webhook failed')
  t.match(logs.join(''), `not committed within server.ingestTimeoutMs (${INGEST_TIMEOUT_MS} ms)`)

  await release()
  const retried = await Promise.all(requests.map((r) => post(app, r)))
  t.same(retried.map((a) => a.statusCode), Array(10).fill(200), 'the senders\' retries are taken')
  t.same((await stored(config)).sort(), requests.map((r) => r.id).sort(), 'each stored once')
})

t.test('webhooks queued behind a stalled batch are answered at the deadline and never sent to the store after', async (t) => {
  const firstWrite = recordEventsReached(1)
  const { app, clock, config } = await build(t, { wrapStore: firstWrite.wrapStore, config: { server: { ingestTimeoutMs: INGEST_TIMEOUT_MS } } })
  const release = await holdWriteLock(t, config.storage)
  // The first batch waits on the lock (busy_timeout, 5 s); these queue behind it.
  const first = post(app, signed(clock))
  await firstWrite.reached
  // The writer sends a batch on the setImmediate its first queued write scheduled, which runs before this one.
  await new Promise((resolve) => setImmediate(resolve))
  if (testDriver() === 'sqlite') t.same(sqlite(app).writer.depth, { queued: 0, inFlight: 1 }, 'the first write is in the stalled batch')
  const queued = Array.from({ length: 5 }, () => signed(clock))
  const answering = Promise.all(queued.map((r) => post(app, r)))
  await firstWrite.calls(6)
  clock.advance(INGEST_TIMEOUT_MS)
  const answers = await answering
  t.same(answers.map((a) => a.statusCode), Array(5).fill(503))
  await release()
  await first
  // The next write runs after whatever was queued: had the refused ones been sent, they would be stored now.
  const after = signed(clock)
  t.equal((await post(app, after)).statusCode, 200)
  const ids = await stored(config)
  t.same(queued.map((r) => r.id).filter((id) => ids.includes(id)), [], 'nothing refused was stored behind the sender\'s back')
  t.ok(ids.includes(after.id))
})
