import type { Db } from '../open.js'
import { eventIdFloor } from '../../ids.js'
import { prepared } from '../statements.js'

/**
 * Write op: deletes up to `limit` events received before `before` that have
 * no pending delivery; their deliveries and attempts go with them (ON DELETE
 * CASCADE). The check is on the deliveries themselves, not on events.status,
 * so a pending delivery is never deleted whatever the event row says.
 */
export function purgeEvents (db: Db, { before, limit }: { before: number, limit: number }): number {
  // Ids begin with the receipt time, so the oldest are found walking the primary key.
  return prepared(db, `
    DELETE FROM events WHERE id IN (
      SELECT e.id FROM events e
      WHERE e.id < @beforeId AND e.received_at < @before
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
      ORDER BY e.id LIMIT @limit)`).run({ before, beforeId: eventIdFloor(before), limit }).changes
}

/**
 * Write op: hands up to `pages` free pages back to the file system, so the
 * file shrinks after a purge instead of only being reused. Needs
 * auto_vacuum = INCREMENTAL (enableIncrementalVacuum); a no-op otherwise.
 */
export function incrementalVacuum (db: Db, { pages }: { pages: number }): number {
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
