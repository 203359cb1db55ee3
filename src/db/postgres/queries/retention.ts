import { eventIdFloor } from '../../../ids.js'
import type { PurgeArgs, PurgeEventsArgs } from '../../../store/contract.js'
import { execute, query, type Conn } from '../pool.js'

/**
 * Up to `limit` events received before `before` with no pending delivery,
 * with their deliveries and attempts (ON DELETE CASCADE); each received at or
 * after `keepKeysAfter` leaves its dedup key behind, in the same transaction.
 */
export async function purgeEvents (conn: Conn, { before, limit, keepKeysAfter }: PurgeEventsArgs): Promise<number> {
  const [row] = await query<{ n: number }>(conn, `
    WITH deleted AS (
      DELETE FROM events WHERE id IN (
        SELECT e.id FROM events e
        WHERE e.id < @beforeId AND e.received_at < @before
          AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
        ORDER BY e.id LIMIT @limit FOR UPDATE SKIP LOCKED)
      RETURNING id, source, dedup_key, received_at),
    kept AS (
      INSERT INTO dedup_keys (source, dedup_key, event_id, first_seen_at)
      SELECT source, dedup_key, id, received_at FROM deleted WHERE received_at >= @keepKeysAfter
      ON CONFLICT (source, dedup_key) DO NOTHING)
    SELECT count(*) AS n FROM deleted`, { before, beforeId: eventIdFloor(before), limit, keepKeysAfter })
  return row?.n ?? 0
}

export async function purgeDedupKeys (conn: Conn, { before, limit }: PurgeArgs): Promise<number> {
  return await execute(conn, `
    DELETE FROM dedup_keys WHERE (source, dedup_key) IN (
      SELECT source, dedup_key FROM dedup_keys WHERE first_seen_at < @before ORDER BY first_seen_at LIMIT @limit)`, { before, limit })
}
