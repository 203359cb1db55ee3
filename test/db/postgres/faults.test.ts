// PostgreSQL going away under a running gateway, for real: the server behind
// a TCP hop that is cut (down) and restored (back), and the gateway's
// connections ended by pg_terminate_backend in the middle of a transaction.
// Webhooks are answered 503 HG_ERR_STORAGE_UNAVAILABLE and nothing refused
// is stored, /health/ready turns 503, and once the server answers again the
// same gateway takes webhooks again: no restart.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { READY_PROBE_INTERVAL_MS } from '../../../src/health.js'
import { freshDatabase, postgresMissing, terminateGatewayConnections } from '../../fixtures/postgres.js'
import { startTcpProxy } from '../../fixtures/tcp-proxy.js'
import { build, storedRows, type TestClock } from '../../helper.js'
import { holdWriteLock, signed } from '../../lock-holder.js'

const post = (app: FastifyInstance, request: ReturnType<typeof signed>) => app.inject({ method: 'POST', url: '/webhooks/clerk', headers: request.headers, payload: request.body })
const ready = async (app: FastifyInstance, clock: TestClock) => {
  clock.advance(READY_PROBE_INTERVAL_MS)
  return (await app.inject('/health/ready')).statusCode
}

const missing = postgresMissing()
if (missing !== null) t.plan(0, missing)
else {
  t.test('the server goes down: webhooks and admin writes are answered 503, ready turns 503, and all recover when it is back', async (t) => {
    const database = await freshDatabase(t)
    const proxy = await startTcpProxy(t, database)
    const { app, clock, config, logs } = await build(t, { driver: 'postgres', dbUrl: proxy.url, config: { admin: { token: 'a'.repeat(32) } } })
    t.equal((await post(app, signed(clock))).statusCode, 200)
    t.equal(await ready(app, clock), 200)

    await proxy.cut()
    const refused = signed(clock)
    const answer = await post(app, refused)
    t.equal(answer.statusCode, 503)
    t.equal(answer.json().code, 'HG_ERR_STORAGE_UNAVAILABLE')
    t.equal(answer.headers['retry-after'], '5')
    t.match(logs.join(''), /HG_ERR_WRITE_DATABASE_UNAVAILABLE/, 'the cause, for the log')
    t.equal(await ready(app, clock), 503)
    const pause = await app.inject({ method: 'POST', url: '/admin/destinations/svc/pause', headers: { authorization: `Bearer ${'a'.repeat(32)}` } })
    t.not(pause.statusCode, 200, 'an admin write is not acknowledged either')

    await proxy.restore()
    t.equal((await post(app, refused)).statusCode, 200, 'the sender\'s retry is taken by the same gateway')
    t.equal(await ready(app, clock), 200)
    t.equal((await storedRows({ ...config, storage: { ...config.storage, url: database } }, 'SELECT id FROM events')).length, 2, 'each stored once')
  })

  t.test('connections ended mid-transaction (pg_terminate_backend): the webhook is answered 503 and not stored; the next is taken', async (t) => {
    const { app, clock, config } = await build(t, { driver: 'postgres', config: { server: { ingestTimeoutMs: 60_000 } } })
    // The gateway's transaction waits on another session's lock, so it is open when its connection is ended.
    const release = await holdWriteLock(t, config.storage)
    const dropped = signed(clock)
    const pending = post(app, dropped)
    let ended = 0
    // Its connection waits on the lock once the batch has begun inserting; until then there is nothing to end.
    while (ended === 0) ended = await terminateGatewayConnections(config.storage.url!, 'waiting-on-a-lock')
    const answer = await pending
    t.equal(answer.statusCode, 503)
    t.equal(answer.json().code, 'HG_ERR_STORAGE_UNAVAILABLE')
    await release()
    const next = signed(clock)
    t.equal((await post(app, next)).statusCode, 200, 'a fresh connection takes the next one')
    t.same((await storedRows(config, 'SELECT dedup_key FROM events')).map((r) => r.dedup_key), [next.id], 'the ended transaction stored nothing')
    t.equal(await ready(app, clock), 200)
  })
}
