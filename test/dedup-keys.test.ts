// Issue 19, point 8: dedup keys outlive their events, and Chaindoc's legacy
// scheme (no timestamp, so no replay window) can be switched off per source.
// Real SQLite files, a real receiver, retention driven by the injected clock.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { signChaindoc, signChaindocLegacy } from '../providers/sign.js'
import { metric } from './fixtures/admin.js'
import { ingest } from './fixtures/events.js'
import { startReceiver } from './fixtures/receiver.js'
import { build, CHAINDOC_SECRET, sqlite, TestClock } from './helper.js'

const DAY = 24 * 60 * 60 * 1000
const LEGACY_BODY = JSON.stringify({ event: 'document.signed', timestamp: '2026-11-23T12:00:00.000Z', data: { documentId: 'doc_42' } })
const LEGACY_HEADERS = signChaindocLegacy({ body: LEGACY_BODY, secret: CHAINDOC_SECRET, event: 'document.signed' })

const count = (app: FastifyInstance, table: string) => (sqlite(app).db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
const sendLegacy = async (app: FastifyInstance, source = 'chaindoc') => {
  const res = await app.inject({ method: 'POST', url: `/webhooks/${source}`, headers: LEGACY_HEADERS, payload: LEGACY_BODY })
  return { status: res.statusCode, body: res.json() }
}

t.test('a legacy Chaindoc replay after retention is a duplicate of the purged event: nothing stored or forwarded', async (t) => {
  const receiver = await startReceiver(t)
  const { app, clock } = await build(t, { config: { destinations: { svc: { url: receiver.url } } } })
  const first = await sendLegacy(app)
  t.match(first, { status: 200, body: { duplicate: false } })
  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests.length, 1)

  clock.advance(31 * DAY) // past retentionDays (30)
  t.match(await app.hookgate.retention.runOnce(), { events: 1, dedupKeys: 0 })
  t.equal(count(app, 'events'), 0, 'the event is gone')
  t.same(sqlite(app).db.prepare('SELECT source, event_id AS id, first_seen_at AS at FROM dedup_keys').all(),
    [{ source: 'chaindoc', id: first.body.id, at: clock.now() - 31 * DAY }], 'its key stays: source, event id, first-seen time')

  const replay = await sendLegacy(app)
  t.same(replay, { status: 200, body: { id: first.body.id, duplicate: true } }, 'acknowledged as the original')
  await app.hookgate.dispatcher.runOnce()
  t.equal(count(app, 'events'), 0, 'nothing stored')
  t.equal(count(app, 'deliveries'), 0)
  t.equal(receiver.requests.length, 1, 'nothing forwarded')
  t.equal(await metric(app, 'hookgate_webhooks_received_total{source="chaindoc",outcome="duplicate"}'), 1)
})

t.test('the key is purged once storage.dedupWindowDays has passed since first receipt; the same bytes are then new', async (t) => {
  const { app, clock } = await build(t)
  const first = await sendLegacy(app)
  await ingest(app, 1) // a Clerk event: every provider's keys outlive their events
  clock.advance(31 * DAY)
  await app.hookgate.retention.runOnce()
  t.equal(count(app, 'dedup_keys'), 2)

  clock.advance(59 * DAY) // 90 days to the ms after receipt: the window's last moment
  t.match(await app.hookgate.retention.runOnce(), { dedupKeys: 0 })
  t.match(await sendLegacy(app), { body: { id: first.body.id, duplicate: true } }, 'still inside the window')
  clock.advance(1)
  t.match(await app.hookgate.retention.runOnce(), { dedupKeys: 2 })
  t.equal(count(app, 'dedup_keys'), 0)
  t.equal(await metric(app, 'hookgate_retention_deleted_total{kind="dedup_keys"}'), 2)
  const after = await sendLegacy(app)
  t.match(after, { status: 200, body: { duplicate: false } })
  t.not(after.body.id, first.body.id, 'stored anew after the window')
})

t.test('a window shorter than retentionDays keeps no key: the event was the guard for longer', async (t) => {
  const { app, clock } = await build(t, { config: { storage: { retentionDays: 30, dedupWindowDays: 10 } } })
  await sendLegacy(app)
  clock.advance(11 * DAY)
  t.match(await sendLegacy(app), { body: { duplicate: true } }, 'the event itself still answers')
  clock.advance(20 * DAY)
  t.match(await app.hookgate.retention.runOnce(), { events: 1, dedupKeys: 0 })
  t.equal(count(app, 'dedup_keys'), 0, 'a key already past its window is not kept')
})

t.test('kept keys survive a restart on the same file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-dedup-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const dbPath = join(dir, 'hookgate.db')
  const clock = new TestClock()
  const first = await build(t, { dbPath, clock })
  const original = await sendLegacy(first.app)
  clock.advance(31 * DAY)
  await first.app.hookgate.retention.runOnce()
  await first.app.close()

  const second = await build(t, { dbPath, clock })
  t.same(await sendLegacy(second.app), { status: 200, body: { id: original.body.id, duplicate: true } })
  t.equal(count(second.app, 'events'), 0)
})

t.test('a source with legacyScheme: false refuses legacy-signed requests (401 HG_ERR_SIGNATURE_INVALID) and stores nothing', async (t) => {
  const { app, clock } = await build(t, {
    config: { sources: { chaindoc: { provider: 'chaindoc', secret: CHAINDOC_SECRET, options: { legacyScheme: false } }, old: { provider: 'chaindoc', secret: CHAINDOC_SECRET } } }
  })
  const refused = await sendLegacy(app)
  t.match(refused, { status: 401, body: { code: 'HG_ERR_SIGNATURE_INVALID' } })
  t.equal(count(app, 'events'), 0)
  t.match(await sendLegacy(app, 'old'), { status: 200, body: { duplicate: false } }, 'another source keeps the scheme')

  const body = JSON.stringify({ id: 'evt-current-1', type: 'document.signed', createdAt: new Date(clock.now()).toISOString(), data: { documentId: 'doc_42' } })
  const headers = signChaindoc({ timestampIso: new Date(clock.now()).toISOString(), body, secret: CHAINDOC_SECRET })
  const current = await app.inject({ method: 'POST', url: '/webhooks/chaindoc', headers: { ...headers, 'content-type': 'application/json' }, payload: body })
  t.equal(current.statusCode, 200, 'the current scheme is still accepted')
})
