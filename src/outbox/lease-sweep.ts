import type { DestinationConfig } from '../config/load.js'
import type { DeliveryStorage } from './storage.js'

/** A lease older than twice the largest timeout by this much belongs to an attempt that will never settle. */
export const LEASE_MARGIN_MS = 60_000
/** How often leases are checked for expiry, on the injected clock (so tests drive it too). */
export const SWEEP_INTERVAL_MS = 30_000

/**
 * How long a lease may live: a leased delivery may wait for a slot through
 * one round of attempts (each at most its timeout), then run its own.
 */
export function leaseLifetimeMs (destinations: Iterable<DestinationConfig>): number {
  return 2 * Math.max(0, ...[...destinations].map((d) => d.timeoutMs)) + LEASE_MARGIN_MS
}

/**
 * Frees leases past their lifetime, every SWEEP_INTERVAL_MS before a claim.
 * The attempt that held one cannot still be running (its own timeout aborted
 * it), so only a bug or a lost settle leaves one behind; the delivery then
 * runs again rather than waiting for a restart.
 */
export class LeaseSweep {
  readonly #storage: Pick<DeliveryStorage, 'reclaimLeases'>
  readonly #lifetimeMs: number
  #sweptAt: number

  constructor (storage: Pick<DeliveryStorage, 'reclaimLeases'>, lifetimeMs: number, now: number) {
    this.#storage = storage
    this.#lifetimeMs = lifetimeMs
    this.#sweptAt = now
  }

  /** At boot: every lease is a dead process's (one gateway per database), so all run again now. */
  reclaimAll (now: number): Promise<number> {
    return this.#storage.reclaimLeases({ now, olderThanMs: 0, why: 'the gateway stopped while the delivery was leased to it (being sent, or next in line)' })
  }

  due (now: number): boolean {
    return now - this.#sweptAt >= SWEEP_INTERVAL_MS
  }

  /** Reclaims expired leases if a sweep is due; how many it freed (0 when none was due). */
  async sweepIfDue (now: number): Promise<number> {
    if (!this.due(now)) return 0
    this.#sweptAt = now
    return await this.#storage.reclaimLeases({ now, olderThanMs: this.#lifetimeMs, why: 'the lease expired' })
  }
}
