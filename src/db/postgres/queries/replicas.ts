/**
 * Lease owners and their beats (migrations/postgres/0002): a lease is stale
 * when its owner's last beat, or the lease itself when the owner has no row
 * (never beat, or already forgotten), is older than the window.
 */
import type { BeatArgs, RetireArgs, StaleLeasesArgs } from '../../../store/contract.js'
import { execute, type Conn } from '../pool.js'
import { freeLeases } from './leases.js'

export async function beat (conn: Conn, { owner, now }: BeatArgs): Promise<void> {
  await execute(conn, `
    INSERT INTO replicas AS r (owner, started_at, beat_at) VALUES (@owner, @now, @now)
    ON CONFLICT (owner) DO UPDATE SET beat_at = greatest(r.beat_at, excluded.beat_at)`, { owner, now })
}

export async function reclaimStaleLeases (conn: Conn, { now, staleAfterMs, why }: StaleLeasesArgs): Promise<number> {
  const cutoff = now - staleAfterMs
  const freed = await freeLeases(conn, 'coalesce((SELECT beat_at FROM replicas WHERE owner = deliveries.locked_by), locked_at) <= @cutoff', { now, cutoff }, why)
  await execute(conn, 'DELETE FROM replicas WHERE beat_at <= @cutoff', { cutoff })
  return freed
}

export async function retireOwner (conn: Conn, { owner }: RetireArgs): Promise<void> {
  await execute(conn, 'DELETE FROM replicas WHERE owner = @owner', { owner })
}
