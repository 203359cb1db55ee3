/** Retryable failures in a row that make a destination look down. */
export const TRIP_AFTER_FAILURES = 5
export const FIRST_PAUSE_MS = 1000
export const MAX_PAUSE_MS = 60_000

interface State { failures: number, trips: number, pausedUntil: number }

/**
 * What a destination's breaker lets start: `flowing` (closed: only the
 * concurrency limits count), `probe` (the pause is over and nothing is out:
 * one attempt may test the receiver) or `held` (paused, or its probe is out).
 */
export type Admission = 'flowing' | 'probe' | 'held'

/**
 * Per-destination circuit breakers, in memory. A destination whose attempts
 * keep failing (network errors, timeouts, 408/429/5xx, 3xx) is paused: no
 * claims for it until the pause ends (1 s, doubling to 60 s), then a single
 * probe. A success or a final answer (the receiver is up) closes it.
 *
 * Why: without it, a dead receiver with 10,000 deliveries due is a loop of
 * claim, fail in a millisecond, settle, claim again, thousands of writer
 * transactions a second that ingest queues behind; and each of those
 * attempts counts, so a long outage would spend the whole retry schedule of
 * the backlog in minutes. Paused, the rows stay due and keep their attempts.
 */
export class Breakers {
  readonly #states = new Map<string, State>()

  /** What `destination` may start now, given `sending` attempts of it talking to its receiver. */
  admission (destination: string, now: number, sending: number): Admission {
    const state = this.#states.get(destination)
    if (state === undefined || state.trips === 0) return 'flowing'
    if (now < state.pausedUntil) return 'held'
    return sending === 0 ? 'probe' : 'held'
  }

  /**
   * Records how an attempt ended: 'failure' for a retryable one, 'answer' for
   * a success or a final answer. Returns the pause it starts, if it starts one.
   */
  record (destination: string, result: 'failure' | 'answer', now: number): number | null {
    if (result === 'answer') {
      this.#states.delete(destination)
      return null
    }
    const state = this.#states.get(destination) ?? { failures: 0, trips: 0, pausedUntil: 0 }
    state.failures++
    // Closed: trip after enough failures in a row. Open (a probe failed): pause again, longer.
    if (state.trips > 0 ? now >= state.pausedUntil : state.failures >= TRIP_AFTER_FAILURES) {
      state.trips++
      state.pausedUntil = now + Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (state.trips - 1))
      this.#states.set(destination, state)
      return state.pausedUntil - now
    }
    this.#states.set(destination, state)
    return null
  }

  /** Whether the destination's last attempts failed (retryably) with no answer since: it may be down. */
  failing (destination: string): boolean {
    return this.#states.has(destination)
  }

  /** Retryable failures in a row, with no answer since. */
  failuresInARow (destination: string): number {
    return this.#states.get(destination)?.failures ?? 0
  }

  /** When the earliest pause ends (to wake the loop for its probe), or null. */
  nextProbeAt (now: number): number | null {
    let at: number | null = null
    for (const state of this.#states.values()) {
      if (state.trips > 0 && state.pausedUntil > now && (at === null || state.pausedUntil < at)) at = state.pausedUntil
    }
    return at
  }
}
