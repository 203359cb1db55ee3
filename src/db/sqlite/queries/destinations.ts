import type { DestinationFigures, PauseState, QueueDepth, SetPausedArgs } from '../../../store/contract.js'
import type { Db } from '../open.js'
import { prepared } from '../statements.js'
import { figuresOf, type LastErrorRow } from '../../shared/figures.js'

/**
 * Pending and dead counts and the oldest pending time, per destination that
 * has any (an index walk of deliveries_destination_status and a seek per
 * destination on deliveries_pending_since). Read on every /metrics scrape.
 */
export function queueDepths (db: Db): Map<string, QueueDepth> {
  const depths = new Map<string, QueueDepth>()
  const at = (name: string): QueueDepth => {
    let depth = depths.get(name)
    if (depth === undefined) depths.set(name, depth = { pending: 0, dead: 0, oldestPendingSince: null })
    return depth
  }
  const counts = prepared<[], { destination: string, status: 'pending' | 'dead', n: number }>(db, `
    SELECT destination, status, count(*) AS n FROM deliveries WHERE status IN ('pending', 'dead') GROUP BY destination, status`).all()
  for (const { destination, status, n } of counts) at(destination)[status] = n
  const oldest = prepared<[], { destination: string, since: number }>(db, `
    SELECT destination, min(coalesce(queued_at, created_at)) AS since FROM deliveries WHERE status = 'pending' GROUP BY destination`).all()
  for (const { destination, since } of oldest) at(destination).oldestPendingSince = since
  return depths
}

/** What GET /admin/destinations shows for each name given and each that still has deliveries queued. */
export function destinationFigures (db: Db, { names, deliveredSince }: { names: readonly string[], deliveredSince: number }): DestinationFigures[] {
  const depths = queueDepths(db)
  const states = new Map(pauseStates(db).map((s) => [s.name, s]))
  const all = [...new Set([...names, ...depths.keys()])]
  const delivered = prepared<[string, number], number>(db, `
    SELECT count(*) FROM deliveries WHERE status = 'delivered' AND destination = ? AND delivered_at >= ?`).pluck()
  const lastError = prepared<[string], LastErrorRow>(db, `
    SELECT last_error, last_status, updated_at FROM deliveries
    WHERE destination = ? AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 1`)
  return all.map((name) => figuresOf(name, depths.get(name), states.get(name), delivered.get(name, deliveredSince) ?? 0, lastError.get(name)))
}

export function pauseStates (db: Db): PauseState[] {
  return prepared<[], { name: string, paused: number, paused_at: number | null }>(db, 'SELECT name, paused, paused_at FROM destination_state').all()
    .map((row) => ({ name: row.name, paused: row.paused === 1, pausedAt: row.paused_at }))
}

/** Destinations the dispatcher must not claim for: read inside the claim's transaction, so a pause holds from its commit on. */
export function pausedNames (db: Db): Set<string> {
  return new Set(prepared<[], string>(db, 'SELECT name FROM destination_state WHERE paused = 1').pluck().all())
}

/** Write op: pause or resume. Pausing a paused destination keeps its first pause time. */
export function setPaused (db: Db, { name, paused, now }: SetPausedArgs): PauseState {
  const row = prepared<[Record<string, unknown>], { paused: number, paused_at: number | null }>(db, `
    INSERT INTO destination_state (name, paused, paused_at, updated_at) VALUES (@name, @paused, CASE WHEN @paused = 1 THEN @now END, @now)
    ON CONFLICT (name) DO UPDATE SET
      paused_at = CASE WHEN excluded.paused = 0 THEN NULL WHEN paused = 1 THEN paused_at ELSE excluded.paused_at END,
      paused = excluded.paused, updated_at = excluded.updated_at
    RETURNING paused, paused_at`).get({ name, paused: paused ? 1 : 0, now })!
  return { name, paused: row.paused === 1, pausedAt: row.paused_at }
}
