// The indexes 0004 dropped are replaced by seeks on the primary key (ids begin
// with the receipt time) and by events_pending and events_dead. This checks the planner's
// choice for the real SQL the queries prepare, captured as they prepare it.
import { test, type Test } from 'tap'
import type { Db } from '../../../src/db/sqlite/open.js'
import { listEvents } from '../../../src/db/sqlite/queries/events.js'
import { acceptedBetween, rejectedBetween } from '../../../src/db/sqlite/queries/traffic.js'
import { purgeDedupKeys, purgeEvents } from '../../../src/db/sqlite/queries/retention.js'
import { recordEvent } from '../../../src/db/sqlite/queries/record.js'
import { reclaimStaleLeases } from '../../../src/db/sqlite/queries/replicas.js'
import { migratedDb } from '../../helper.js'

function capturingDb (t: Test): { db: Db, prepared: string[] } {
  const db = migratedDb(t)
  const prepared: string[] = []
  const prepare = db.prepare.bind(db)
  db.prepare = ((sql: string) => { prepared.push(sql); return prepare(sql) }) as Db['prepare']
  return { db, prepared }
}

function planOf (db: Db, sql: string, params: Record<string, unknown> | unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>).map((r) => r.detail).join('\n')
}

test('time filters on events seek the primary key', async (t) => {
  const { db, prepared } = capturingDb(t)
  listEvents(db, { since: 1_700_000_000_000, until: 1_800_000_000_000, limit: 10 })
  const sql = prepared.at(-1)!
  const plan = planOf(db, sql, { since: 0, until: 0, sinceId: 'evt_', untilId: 'evt_', take: 11 })
  t.match(plan, /SEARCH events USING INDEX sqlite_autoindex_events_1 \(id>\? AND id<\?\)/)
})

test('listing pending or dead events goes through its partial index; other states walk ids', async (t) => {
  const { db, prepared } = capturingDb(t)
  for (const status of ['dead', 'pending']) {
    listEvents(db, { status, limit: 10 })
    t.match(planOf(db, prepared.at(-1)!, { status, take: 11 }), new RegExp(`SCAN events USING (COVERING )?INDEX events_${status}`), status)
  }
  listEvents(db, { status: 'delivered', limit: 10 })
  const delivered = planOf(db, prepared.at(-1)!, { status: 'delivered', take: 11 })
  t.match(delivered, /SCAN events USING INDEX sqlite_autoindex_events_1/, 'newest first along the primary key, no sort')
  t.notMatch(delivered, /TEMP B-TREE/)
})

test('retention finds the oldest events along the primary key', async (t) => {
  const { db, prepared } = capturingDb(t)
  purgeEvents(db, { before: 1_700_000_000_000, limit: 100, keepKeysAfter: 0 })
  const plan = planOf(db, prepared.find((sql) => sql.includes('DELETE FROM events'))!, { before: 0, beforeId: 'evt_', limit: 100 })
  t.match(plan, /SEARCH e USING INDEX sqlite_autoindex_events_1 \(id<\?\)/)
  t.notMatch(plan, /TEMP B-TREE/, 'no sort: the ids are in time order')
})

test('ingest finds a purged event\'s dedup key by a seek, and retention finds expired keys along their index', async (t) => {
  const { db, prepared } = capturingDb(t)
  recordEvent(db, {
    event: { id: 'evt_0', source: 's', provider: 'chaindoc', dedupKey: 'k', type: 't', subject: null, occurredAt: null, receivedAt: 0, headers: '{}', body: new Uint8Array(0) },
    destinations: []
  })
  const lookup = prepared.find((sql) => sql.includes('FROM dedup_keys'))!
  t.match(planOf(db, lookup, ['s', 'k']), /SEARCH dedup_keys USING PRIMARY KEY \(source=\? AND dedup_key=\?\)/)
  purgeDedupKeys(db, { before: 1_700_000_000_000, limit: 100 })
  const plan = planOf(db, prepared.at(-1)!, { before: 0, limit: 100 })
  t.match(plan, /SEARCH dedup_keys USING (COVERING )?INDEX dedup_keys_first_seen \(first_seen_at<\?\)/)
  t.notMatch(plan, /TEMP B-TREE/, 'no sort: the index is in time order')
})

test('the console\'s search by event id or dedup key is two seeks, not a scan', async (t) => {
  const { db, prepared } = capturingDb(t)
  listEvents(db, { search: { text: 'k', sources: ['clerk', 'chaindoc'] }, limit: 10 })
  const plan = planOf(db, prepared.at(-1)!, { searchText: 'k', searchSources: '["clerk","chaindoc"]', take: 11 })
  t.match(plan, /MULTI-INDEX OR/)
  t.match(plan, /SEARCH events USING INDEX sqlite_autoindex_events_1 \(id=\?\)/)
  t.match(plan, /SEARCH events USING INDEX sqlite_autoindex_events_2 \(source=\? AND dedup_key=\?\)/)
  t.notMatch(plan, /SCAN events/)
})

test('the console\'s traffic counts read only the window: a primary-key seek for events, the time index for rejections', async (t) => {
  const { db, prepared } = capturingDb(t)
  acceptedBetween(db, 1_700_000_000_000, 1_700_003_600_000)
  t.match(planOf(db, prepared.at(-1)!, { from: 0, to: 1, split: 1, fromId: 'evt_', toId: 'evt_' }), /SEARCH events USING INDEX sqlite_autoindex_events_1 \(id>\? AND id<\?\)/)
  rejectedBetween(db, 1_700_000_000_000, 1_700_003_600_000)
  t.match(planOf(db, prepared.at(-1)!, { from: 0, to: 1, split: 1 }), /SEARCH rejections USING (COVERING )?INDEX rejections_received_at \(received_at>\? AND received_at<\?\)/)
})

test('a source filter walks the ids newest first instead of sorting every event of that source', async (t) => {
  const { db, prepared } = capturingDb(t)
  listEvents(db, { source: 'clerk', limit: 10 })
  const plan = planOf(db, prepared.at(-1)!, { source: 'clerk', take: 11 })
  t.match(plan, /SCAN events USING INDEX sqlite_autoindex_events_1/)
  t.notMatch(plan, /TEMP B-TREE/)
})

test('the stale-lease sweep walks only leased deliveries, not the table', async (t) => {
  const { db, prepared } = capturingDb(t)
  reclaimStaleLeases(db, { now: 1_700_000_000_000, staleAfterMs: 15_000, why: 'test' })
  const params = { now: 0, cutoff: 0, error: '' }
  for (const sql of prepared.filter((s) => s.includes('FROM deliveries') || s.includes('UPDATE deliveries'))) {
    t.match(planOf(db, sql, params), /(SCAN|SEARCH) deliveries USING INDEX deliveries_locked/)
  }
})
