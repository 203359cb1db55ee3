import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate } from '../src/db/sqlite/migrate.js'
import Database from 'better-sqlite3'
import { newEventId } from '../src/ids.js'
import { RETENTION_CHUNK_ROWS } from '../src/retention.js'
import { admin, buildAdmin, metric, rejectionsWritten } from './fixtures/admin.js'
import { ingest } from './fixtures/events.js'
import { startReceiver } from './fixtures/receiver.js'
import { sqlite, TestClock } from './helper.js'
import type { FastifyInstance } from 'fastify'

const DAY = 24 * 60 * 60 * 1000
const count = (app: FastifyInstance, table: string) => (sqlite(app).db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
const statuses = (app: FastifyInstance) => sqlite(app).db.prepare('SELECT type, status FROM events ORDER BY received_at, type').all()

/** A directory that outlives build()'s own t.testdir(), for two gateways on one file. */
function sharedDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-retention-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('deletes settled events past retentionDays with their deliveries and attempts; keeps pending and recent ones', async (t) => {
  const ok = await startReceiver(t)
  const refusing = await startReceiver(t, () => ({ status: 400 }))
  const { app, clock } = await buildAdmin(t, {
    destinations: {
      ok: { url: ok.url, events: ['user.created'] },
      refusing: { url: refusing.url, events: ['user.deleted'] },
      held: { url: ok.url, events: ['session.*'] }
    }
  })
  await admin(app, 'POST', '/admin/destinations/held/pause')
  await ingest(app, 1, 'user.created') //   delivered
  await ingest(app, 2, 'user.deleted') //   dead
  await ingest(app, 3, 'session.created') // pending: its destination is paused
  await ingest(app, 4, 'organization.created') // no destination
  await app.hookgate.dispatcher.runOnce()
  await app.inject({ method: 'POST', url: '/webhooks/nope', payload: '{}' }) // a rejection, kept 7 days
  await rejectionsWritten(app)

  clock.advance(8 * DAY)
  t.match(await app.hookgate.retention.runOnce(), { events: 0, rejections: 1 }, 'rejections go after rejectionRetentionDays')
  clock.advance(23 * DAY)
  await ingest(app, 5, 'user.created')
  await app.hookgate.dispatcher.runOnce()
  t.equal(count(app, 'attempts'), 3)

  const report = await app.hookgate.retention.runOnce()
  t.match(report, { events: 3, rejections: 0 })
  t.same(statuses(app), [{ type: 'session.created', status: 'pending' }, { type: 'user.created', status: 'delivered' }], 'the pending one and the recent one stay')
  t.equal(count(app, 'deliveries'), 2)
  t.equal(count(app, 'attempts'), 1, "the old events' attempts went with them")
  t.equal(await metric(app, 'hookgate_retention_deleted_total{kind="events"}'), 3)
  t.equal(await metric(app, 'hookgate_retention_deleted_total{kind="rejections"}'), 1)

  clock.advance(365 * DAY)
  await app.hookgate.retention.runOnce()
  t.same(statuses(app), [{ type: 'session.created', status: 'pending' }], 'a pending delivery is never deleted, however old')
})

t.test('deletes in bounded chunks until nothing old is left, then gives the pages back', async (t) => {
  const { app, clock } = await buildAdmin(t)
  t.equal(sqlite(app).db.pragma('auto_vacuum', { simple: true }), 2, 'the file is in incremental auto-vacuum mode')
  const total = RETENTION_CHUNK_ROWS * 2 + 500
  const body = new Uint8Array(2048).fill(120)
  await Promise.all(Array.from({ length: total }, (_, i) => app.hookgate.store.recordEvent({
    event: { id: newEventId(clock.now()), source: 'clerk', provider: 'clerk', dedupKey: `msg_${i}`, type: 'user.created', subject: null, occurredAt: null, receivedAt: clock.now(), headers: '{}', body },
    destinations: []
  })))
  const pagesBefore = sqlite(app).db.pragma('page_count', { simple: true }) as number
  clock.advance(31 * DAY)
  const report = await app.hookgate.retention.runOnce()
  t.equal(report.events, total)
  t.ok(report.freedPages > 0)
  t.equal(count(app, 'events'), 0)
  t.equal(sqlite(app).db.pragma('freelist_count', { simple: true }), 0, 'no free page left in the file')
  t.ok((sqlite(app).db.pragma('page_count', { simple: true }) as number) < pagesBefore / 4, 'the file shrank')
})

t.test('honours storage.retentionDays and rejectionRetentionDays from the config', async (t) => {
  const { app, clock } = await buildAdmin(t, { config: { storage: { retentionDays: 1, rejectionRetentionDays: 0.5 } } })
  await ingest(app, 1)
  await app.inject({ method: 'POST', url: '/webhooks/nope', payload: '{}' })
  await rejectionsWritten(app)
  clock.advance(DAY / 2 + 1)
  t.match(await app.hookgate.retention.runOnce(), { events: 0, rejections: 1 })
  clock.advance(DAY / 2)
  t.match(await app.hookgate.retention.runOnce(), { events: 1, rejections: 0 })
})

t.test('runs a pass at start, so a gateway down past the retention age catches up', async (t) => {
  const dbPath = join(sharedDir(t), 'hookgate.db')
  const clock = new TestClock()
  const first = await buildAdmin(t, { dbPath, clock })
  await ingest(first.app, 1)
  await first.app.close()

  clock.advance(31 * DAY)
  const second = await buildAdmin(t, { dbPath, clock })
  await second.app.hookgate.retention.settled()
  t.equal(count(second.app, 'events'), 0, 'deleted by the pass at start, no runOnce() needed')
})

t.test('switches a database made without auto-vacuum to incremental, once, at boot', async (t) => {
  const dbPath = join(sharedDir(t), 'hookgate.db')
  const old = new Database(dbPath) // as 0.1 opened it: no auto_vacuum pragma
  old.pragma('journal_mode = WAL')
  migrate(old, undefined, 0)
  t.equal(old.pragma('auto_vacuum', { simple: true }), 0, 'as a 0.1 gateway left it')
  old.close()

  const { app, logs } = await buildAdmin(t, { dbPath })
  t.equal(sqlite(app).db.pragma('auto_vacuum', { simple: true }), 2)
  t.ok(logs.some((l) => l.includes('rewritten once for incremental vacuum')))
})

t.test('a new database starts in incremental auto-vacuum mode, without a rewrite', async (t) => {
  const { app, logs } = await buildAdmin(t)
  t.equal(sqlite(app).db.pragma('auto_vacuum', { simple: true }), 2)
  t.notOk(logs.some((l) => l.includes('rewritten once')))
})
