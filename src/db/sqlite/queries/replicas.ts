/**
 * Lease owners and their beats (migration 0006): writer ops. A lease is
 * stale when its owner's last beat, or the lease itself when the owner has
 * no row (never beat, or already forgotten), is older than the window.
 */
import type { BeatArgs, RetireArgs, StaleLeasesArgs } from '../../../store/contract.js'
import type { Db } from '../open.js'
import { prepared } from '../statements.js'
import { freeLeases } from './leases.js'

export function beat (db: Db, { owner, now }: BeatArgs): void {
  prepared(db, `
    INSERT INTO replicas (owner, started_at, beat_at) VALUES (@owner, @now, @now)
    ON CONFLICT (owner) DO UPDATE SET beat_at = max(beat_at, excluded.beat_at)`).run({ owner, now })
}

export function reclaimStaleLeases (db: Db, { now, staleAfterMs, why }: StaleLeasesArgs): number {
  const cutoff = now - staleAfterMs
  const freed = freeLeases(db, 'coalesce((SELECT beat_at FROM replicas WHERE owner = deliveries.locked_by), locked_at) <= @cutoff', { now, cutoff }, why)
  prepared(db, 'DELETE FROM replicas WHERE beat_at <= ?').run(cutoff)
  return freed
}

export function retireOwner (db: Db, { owner }: RetireArgs): void {
  prepared(db, 'DELETE FROM replicas WHERE owner = ?').run(owner)
}
