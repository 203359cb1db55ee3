import type { Clock } from '../clock.js'
import type { Config } from '../config/load.js'
import type { Sender } from '../destinations/sender.js'
import { attemptDelivery, type AttemptEnd, type AttemptLog, type SettledAttempt } from './attempt.js'
import type { ClaimedDelivery, Store } from '../store/contract.js'

export type Health = AttemptEnd['health']

export interface InFlightDeps {
  readonly config: Pick<Config, 'destinations'>
  readonly senders: Readonly<Record<string, Sender>>
  readonly store: Pick<Store, 'settleDeliveries'>
  readonly clock: Clock
  readonly log: AttemptLog
  readonly random: () => number
  readonly observe: ((attempt: SettledAttempt) => void) | undefined
  /** Once per attempt, when its exchange with the receiver is over (before its settle commits): its slot is free. */
  readonly answered: (destination: string, health: Health, durationMs: number) => void
  /** When its settle is written; `retryAt` when it made the delivery due again. */
  readonly ended: (end: AttemptEnd, delivery: ClaimedDelivery) => void
}

interface Attempt {
  readonly controller: AbortController
  done: Promise<AttemptEnd>
  answered: boolean
}

/** The attempts under way, each from its start until its settle is written. */
export class InFlight {
  readonly #deps: InFlightDeps
  readonly #attempts = new Set<Attempt>()

  constructor (deps: InFlightDeps) {
    this.#deps = deps
  }

  get size (): number { return this.#attempts.size }

  /** Sends and settles one delivery, in a slot already counted for it; resolves when its settle is written. */
  start (delivery: ClaimedDelivery): Promise<AttemptEnd> {
    const { config, senders, store, clock, log, random, observe } = this.#deps
    const attempt: Attempt = { controller: new AbortController(), done: Promise.resolve({ settled: false, health: 'interrupted' }), answered: false }
    this.#attempts.add(attempt)
    const answered = (health: Health, durationMs = 0): void => {
      if (attempt.answered) return
      attempt.answered = true
      this.#deps.answered(delivery.destination, health, durationMs)
    }
    attempt.done = attemptDelivery(delivery, {
      destination: config.destinations[delivery.destination]!,
      sender: senders[delivery.destination]!,
      store, clock, log, observe, random, signal: attempt.controller.signal, onAnswered: answered
    }).then((end) => {
      answered(end.health)
      this.#attempts.delete(attempt)
      this.#deps.ended(end, delivery)
      return end
    })
    return attempt.done
  }

  /** Every attempt's end, settle included. */
  settled (): Array<Promise<AttemptEnd>> {
    return [...this.#attempts].map((a) => a.done)
  }

  /** Whether every attempt ends within waitMs: a real-time bound, since shutdown waits on the wall whatever the clock says. */
  async endWithin (waitMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const all = Promise.all(this.settled()).then(() => true)
    const late = new Promise<boolean>((resolve) => { timer = setTimeout(resolve, waitMs, false) })
    return await Promise.race([all, late]).finally(() => clearTimeout(timer))
  }

  /** Cuts every attempt short (each is settled to run again at once) and waits for their settles. */
  async interrupt (reason: Error): Promise<void> {
    for (const a of this.#attempts) a.controller.abort(reason)
    await Promise.all(this.settled())
  }
}
