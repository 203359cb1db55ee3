import type { Clock } from '../clock.js'
import type { AttemptLog } from './attempt.js'
import type { DeliveryStorage } from './storage.js'

/**
 * Failures in a row after which an answer counts as the destination coming
 * back (its waiting retries are hastened: see Recovery). One is not enough:
 * a single payload the receiver keeps refusing (a 500 on that event alone,
 * while the others succeed) would be hastened by every answer to the others
 * and spend its whole retry schedule, hours long, in seconds; and an ordered
 * subject's failing head would go dead as fast.
 */
const DOWN_AFTER_FAILURES = 2

export interface RecoveryDeps {
  readonly storage: Pick<DeliveryStorage, 'hastenDeliveries'>
  readonly clock: Clock
  readonly log: (level: keyof AttemptLog, obj: object, msg: string) => void
  readonly concurrencyOf: (destination: string) => number | undefined
  readonly stopping: () => boolean
  /** Some of the destination's deliveries were made due: claim for them. */
  readonly hastened: (destination: string) => void
  /** The write runs on the side: runOnce() and idle() wait for it. */
  readonly track: (work: Promise<void>) => void
}

/**
 * When a destination answers again after failing (a probe, a new event's
 * delivery), what failed meanwhile waits for its next retry, minutes away;
 * it is made due now instead. Bounded: the first answer hastens up to the
 * destination's concurrency, then each further answer one more, so about
 * `concurrency` hastened deliveries are out at a time (no herd), until none
 * waits or an attempt fails again.
 */
export class Recovery {
  readonly #deps: RecoveryDeps
  /** Destinations answering again whose waiting deliveries are still being hastened. */
  readonly #recovering = new Set<string>()

  constructor (deps: RecoveryDeps) {
    this.#deps = deps
  }

  /** An exchange with the destination ended; `failuresBefore`: retryable failures in a row before it, with no answer since. */
  exchanged (destination: string, health: 'answer' | 'failure', failuresBefore: number): void {
    const wasFailing = failuresBefore >= DOWN_AFTER_FAILURES
    if (health === 'failure') this.#recovering.delete(destination)
    else if (wasFailing || this.#recovering.has(destination)) this.#hasten(destination, wasFailing)
  }

  #hasten (destination: string, first: boolean): void {
    const { storage, clock, log } = this.#deps
    const concurrency = this.#deps.concurrencyOf(destination)
    if (concurrency === undefined || this.#deps.stopping()) return
    if (first) log('info', { destination }, 'destination answers again: sending what waits for a later retry now')
    this.#recovering.add(destination)
    this.#deps.track(storage.hastenDeliveries({ now: clock.now(), destination, limit: first ? concurrency : 1 }).then((hastened) => {
      if (hastened === 0) this.#recovering.delete(destination)
      else this.#deps.hastened(destination)
    }, (err: unknown) => {
      this.#recovering.delete(destination)
      log('error', { err }, 'making waiting deliveries due failed; they run at their next retry')
    }))
  }
}
