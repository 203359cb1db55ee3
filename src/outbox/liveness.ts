import type { DeliveryStorage } from './storage.js'

/** How often a dispatcher says it is alive. */
export const BEAT_INTERVAL_MS = 5_000
/**
 * How long an owner may stay silent before its leases are taken over: three
 * beats, so one slow write is no death. With the sweep on every beat, a
 * killed gateway's deliveries run again within this plus one beat (20 s).
 */
export const STALE_AFTER_MS = 15_000

export interface LivenessWindows {
  readonly beatIntervalMs: number
  readonly staleAfterMs: number
}

/**
 * This dispatcher's beat, and the takeover of silent owners' leases that
 * rides on it. A gateway takes over only after it has itself beaten for a
 * whole window: after an outage of the database every owner's last beat is
 * old, and the live ones need a window to say so again before anyone
 * counts them dead. So a booting gateway never takes a live one's leases.
 */
export class Liveness {
  readonly #storage: Pick<DeliveryStorage, 'beat' | 'reclaimStaleLeases' | 'retireOwner'>
  readonly #owner: string
  readonly #windows: LivenessWindows
  #nextBeatAt: number
  /** When the beats began to succeed without a failure since; null while they fail. */
  #beatingSince: number | null = null

  constructor (storage: Pick<DeliveryStorage, 'beat' | 'reclaimStaleLeases' | 'retireOwner'>, owner: string, now: number, windows: LivenessWindows = { beatIntervalMs: BEAT_INTERVAL_MS, staleAfterMs: STALE_AFTER_MS }) {
    this.#storage = storage
    this.#owner = owner
    this.#windows = windows
    this.#nextBeatAt = now
  }

  due (now: number): boolean { return now >= this.#nextBeatAt }

  get nextBeatAt (): number { return this.#nextBeatAt }

  /** Beats, then frees the leases of owners silent for a window; how many it freed. */
  async beat (now: number): Promise<number> {
    this.#nextBeatAt = now + this.#windows.beatIntervalMs
    try {
      await this.#storage.beat({ owner: this.#owner, now })
    } catch (err) {
      this.#beatingSince = null
      throw err
    }
    this.#beatingSince ??= now
    if (now - this.#beatingSince < this.#windows.staleAfterMs) return 0
    return await this.#storage.reclaimStaleLeases({ now, staleAfterMs: this.#windows.staleAfterMs, why: 'the gateway holding the lease stopped beating (killed, or cut off from the database)' })
  }

  /** At a graceful stop, once the leases are released: the owner beats no more. */
  async retire (): Promise<void> {
    this.#nextBeatAt = Infinity
    await this.#storage.retireOwner({ owner: this.#owner })
  }
}
