import { eventIdFloor } from '../../../ids.js'
import type { PurgeArgs, PurgeEventsArgs, VacuumArgs } from '../../../store/contract.js'
import type { Db } from '../open.js'
import { prepared } from '../statements.js'

/**
 * Write op: deletes up to `limit` events received before `before` that have
 * no pending delivery; their deliveries and attempts go with them (ON DELETE
 * CASCADE). The check is on the deliveries themselves, not on events.status,
 * so a pending delivery is never deleted whatever the event row says.
 * Each deleted event received at or after `keepKeysAfter` leaves its dedup
 * key in dedup_keys, in the same transaction, so a replay of it is still
 * answered as a duplicate (a key already past its window is not kept).
 */
export function purgeEvents (db: Db, { before, limit, keepKeysAfter }: PurgeEventsArgs): number {
  const keep = prepared(db, `
    INSERT INTO dedup_keys (source, dedup_key, event_id, first_seen_at) VALUES (@source, @dedupKey, @id, @receivedAt)
    ON CONFLICT (source, dedup_key) DO NOTHING`)
  // Ids begin with the receipt time, so the oldest are found walking the primary key.
  const deleted = prepared<{ before: number, beforeId: string, limit: number }, DeletedEvent>(db, `
    DELETE FROM events WHERE id IN (
      SELECT e.id FROM events e
      WHERE e.id < @beforeId AND e.received_at < @before
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
      ORDER BY e.id LIMIT @limit)
    RETURNING id, source, dedup_key AS dedupKey, received_at AS receivedAt`).all({ before, beforeId: eventIdFloor(before), limit })
  for (const event of deleted) if (event.receivedAt >= keepKeysAfter) keep.run(event)
  return deleted.length
}

interface DeletedEvent { id: string, source: string, dedupKey: string, receivedAt: number }

/** Write op: deletes up to `limit` dedup keys first seen before `before` (their window has passed). WITHOUT ROWID: rows are named by their key. */
export function purgeDedupKeys (db: Db, { before, limit }: PurgeArgs): number {
  return prepared(db, `
    DELETE FROM dedup_keys WHERE (source, dedup_key) IN (
      SELECT source, dedup_key FROM dedup_keys WHERE first_seen_at < @before ORDER BY first_seen_at LIMIT @limit)`)
    .run({ before, limit }).changes
}

/**
 * Write op: hands up to `pages` free pages back to the file system, so the
 * file shrinks after a purge instead of only being reused. Needs
 * auto_vacuum = INCREMENTAL (enableIncrementalVacuum); a no-op otherwise.
 */
export function incrementalVacuum (db: Db, { pages }: VacuumArgs): number {
  const free = db.pragma('freelist_count', { simple: true }) as number
  db.pragma(`incremental_vacuum(${Math.max(0, Math.floor(pages))})`)
  return free - (db.pragma('freelist_count', { simple: true }) as number)
}

/**
 * auto_vacuum can only change on an empty file (openDatabase sets it there)
 * or through a full VACUUM. A file created by 0.1 (auto_vacuum = NONE) is
 * rewritten once here, at boot, before the writer thread opens its
 * connection; afterwards this is a read of one pragma. Returns true when it
 * rewrote the file.
 */
export function enableIncrementalVacuum (db: Db): boolean {
  const INCREMENTAL = 2
  if (db.pragma('auto_vacuum', { simple: true }) === INCREMENTAL) return false
  db.pragma('auto_vacuum = INCREMENTAL')
  db.exec('VACUUM')
  return true
}
