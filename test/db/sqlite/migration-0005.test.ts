// 0005 (dedup keys that outlive their events) on a database a gateway of the
// previous release left: real files, through the same runner the gateway uses.
import t from 'tap'
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { migrate, migrationsDir } from '../../../src/db/sqlite/migrate.js'
import { openDatabase } from '../../../src/db/sqlite/open.js'
import { purgeEvents } from '../../../src/db/sqlite/queries/retention.js'
import { newEventId } from '../../../src/ids.js'
import { recordEvent } from '../../../src/db/sqlite/queries/record.js'

const event = (id: string, dedupKey: string, receivedAt: number) =>
  ({ id, source: 'chaindoc', provider: 'chaindoc', dedupKey, type: 'document.signed', subject: null, occurredAt: null, receivedAt, headers: '{}', body: new Uint8Array([123, 125]) })

t.test('upgrades a 0004 database in place: its events stay, and a purged one keeps answering its replays', async (t) => {
  const dir = t.testdir()
  const previous = join(dir, 'migrations-0004')
  mkdirSync(previous)
  for (const file of readdirSync(migrationsDir()).filter((f) => f < '0005')) copyFileSync(join(migrationsDir(), file), join(previous, file))
  const db = openDatabase(join(dir, 'hookgate.db'))
  t.teardown(() => db.close())
  t.same(migrate(db, previous, 0), ['0001_init.sql', '0002_deliveries_ready_by_destination.sql', '0003_operations.sql', '0004_lighter_ingest_indexes.sql'])
  const original = newEventId(10)
  // As the previous release stored it (its recordEvent knew no dedup_keys).
  db.prepare(`INSERT INTO events (id, source, provider, dedup_key, type, received_at, headers, body, status)
    VALUES (?, 'chaindoc', 'chaindoc', 'sha256:old', 'document.signed', 10, '{}', x'7b7d', 'none')`).run(original)

  t.same(migrate(db, undefined, 1), readdirSync(migrationsDir()).filter((f) => f >= '0005').sort(), 'only the migrations after 0004 run, 0005 first')
  t.same(migrate(db, undefined, 2), [], 'and only once')
  t.equal(db.prepare('SELECT count(*) FROM events').pluck().get(), 1, 'the old event is still there')

  db.transaction(() => purgeEvents(db, { before: 1_000, limit: 10, keepKeysAfter: 0 }))()
  t.same(db.prepare('SELECT * FROM dedup_keys').all(), [{ source: 'chaindoc', dedup_key: 'sha256:old', event_id: original, first_seen_at: 10 }])
  const replay = db.transaction(() => recordEvent(db, { event: event(newEventId(2_000), 'sha256:old', 2_000), destinations: [] }))()
  t.same(replay, { id: original, duplicate: true, leased: [] })
  t.equal(db.prepare('SELECT count(*) FROM events').pluck().get(), 0, 'the replay was not stored')
})
