import type { DestinationConfig } from '../config/load.js'
import { Liveness } from './liveness.js'
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

type SweepStorage = Pick<DeliveryStorage, 'reclaimLeases' | 'exclusive' | 'beat' | 'reclaimStaleLeases' | 'retireOwner'>

/**
 * Keeps leases honest, before a claim when due: the beat, which takes over
 * the leases of gateways gone silent (see Liveness), and every
 * SWEEP_INTERVAL_MS the expiry of this dispatcher's own leases past their
 * lifetime. The attempt that held one cannot still be running (its own
 * timeout aborted it), so only a bug or a lost settle leaves one behind; the
 * delivery then runs again rather than waiting for a restart. Another live
 * gateway's leases are its own to expire.
 */
export class LeaseSweep {
  readonly #storage: SweepStorage
  readonly #owner: string
  readonly #liveness: Liveness
  readonly #lifetimeMs: number
  #sweptAt: number

  constructor (storage: SweepStorage, owner: string, lifetimeMs: number, now: number, liveness = new Liveness(storage, owner, now)) {
    this.#storage = storage
    this.#owner = owner
    this.#liveness = liveness
    this.#lifetimeMs = lifetimeMs
    this.#sweptAt = now
  }

  /**
   * At boot: the first beat. On an exclusive store every lease is a dead
   * process's, so all run again now; with replicas, a silent owner's wait
   * for the takeover (a live one's are never touched).
   */
  async recover (now: number): Promise<number> {
    await this.#liveness.beat(now)
    if (!this.#storage.exclusive) return 0
    return await this.#storage.reclaimLeases({ now, olderThanMs: 0, why: 'the gateway stopped while the delivery was leased to it (being sent, or next in line)' })
  }

  due (now: number): boolean {
    return this.#liveness.due(now) || now - this.#sweptAt >= SWEEP_INTERVAL_MS
  }

  /** When a sweep or a beat is next due (the loop wakes for it). */
  nextAt (): number {
    return Math.min(this.#liveness.nextBeatAt, this.#sweptAt + SWEEP_INTERVAL_MS)
  }

  /** At a graceful stop, after the leases went back: this owner beats no more. */
  retire (): Promise<void> {
    return this.#liveness.retire()
  }

  /** Beats and reclaims what is due; how many leases it freed (0 when nothing was due). */
  async sweepIfDue (now: number): Promise<number> {
    let freed = this.#liveness.due(now) ? await this.#liveness.beat(now) : 0
    if (now - this.#sweptAt >= SWEEP_INTERVAL_MS) {
      this.#sweptAt = now
      freed += await this.#storage.reclaimLeases({ now, olderThanMs: this.#lifetimeMs, owner: this.#owner, why: 'the lease expired' })
    }
    return freed
  }
}
