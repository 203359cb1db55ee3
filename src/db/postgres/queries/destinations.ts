import type { DestinationFigures, PauseState, QueueDepth, SetPausedArgs } from '../../../store/contract.js'
import { figuresOf, type LastErrorRow } from '../../shared/figures.js'
import { query, type Conn, type Pool } from '../pool.js'

export async function queueDepths (db: Conn | Pool): Promise<Map<string, QueueDepth>> {
  const depths = new Map<string, QueueDepth>()
  const rows = await query<{ destination: string, pending: number, dead: number, since: number | null }>(db, `
    SELECT destination, count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'dead') AS dead,
      min(coalesce(queued_at, created_at)) FILTER (WHERE status = 'pending') AS since
    FROM deliveries WHERE status IN ('pending', 'dead') GROUP BY destination`)
  for (const row of rows) depths.set(row.destination, { pending: row.pending, dead: row.dead, oldestPendingSince: row.since })
  return depths
}

export async function destinationFigures (db: Conn | Pool, { names, deliveredSince }: { names: readonly string[], deliveredSince: number }): Promise<DestinationFigures[]> {
  const depths = await queueDepths(db)
  const states = new Map((await pauseStates(db)).map((s) => [s.name, s]))
  const all = [...new Set([...names, ...depths.keys()])]
  return await Promise.all(all.map(async (name): Promise<DestinationFigures> => {
    const [delivered] = await query<{ n: number }>(db, `
      SELECT count(*) AS n FROM deliveries WHERE status = 'delivered' AND destination = @name AND delivered_at >= @since`, { name, since: deliveredSince })
    const [error] = await query<LastErrorRow>(db, `
      SELECT last_error, last_status, updated_at FROM deliveries
      WHERE destination = @name AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 1`, { name })
    return figuresOf(name, depths.get(name), states.get(name), delivered?.n ?? 0, error)
  }))
}

export async function pauseStates (db: Conn | Pool): Promise<PauseState[]> {
  return (await query<{ name: string, paused: boolean, paused_at: number | null }>(db, 'SELECT name, paused, paused_at FROM destination_state ORDER BY name'))
    .map((row) => ({ name: row.name, paused: row.paused, pausedAt: row.paused_at }))
}

/** Destinations the dispatcher must not claim for: read inside the claim's transaction, so a pause holds from its commit on. */
export async function pausedNames (conn: Conn): Promise<Set<string>> {
  return new Set((await query<{ name: string }>(conn, 'SELECT name FROM destination_state WHERE paused')).map((r) => r.name))
}

/** Pause or resume. Pausing a paused destination keeps its first pause time. */
export async function setPaused (conn: Conn, { name, paused, now }: SetPausedArgs): Promise<PauseState> {
  const [row] = await query<{ paused: boolean, paused_at: number | null }>(conn, `
    INSERT INTO destination_state AS s (name, paused, paused_at, updated_at) VALUES (@name, @paused, CASE WHEN @paused THEN @now::bigint END, @now)
    ON CONFLICT (name) DO UPDATE SET
      paused_at = CASE WHEN NOT excluded.paused THEN NULL WHEN s.paused THEN s.paused_at ELSE excluded.paused_at END,
      paused = excluded.paused, updated_at = excluded.updated_at
    RETURNING paused, paused_at`, { name, paused, now })
  return { name, paused: row!.paused, pausedAt: row!.paused_at }
}
