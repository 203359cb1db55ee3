import type { AttemptLog } from './attempt.js'
import type { DueDestinations } from './due-destinations.js'
import type { PauseWatch } from './pause-watch.js'
import type { DeliveryStorage } from './storage.js'
import type { StoreSignal } from '../store/contract.js'

export interface PeersDeps {
  readonly storage: Pick<DeliveryStorage, 'signal' | 'onSignal'>
  readonly due: DueDestinations
  readonly pauses: PauseWatch
  /** Claim now (or as soon as the claim under way is over). */
  readonly pump: () => void
  readonly log: (level: keyof AttemptLog, obj: object, msg: string) => void
}

/**
 * What the gateways sharing a store tell each other (see Store.signal), so
 * that none waits for a poll: deliveries an operator made due, a pause or a
 * resume, leases a stopping gateway gave back. Each hears its own signals
 * too, which costs a claim that finds nothing. A lost signal costs the
 * poll's wait (the pauses: PAUSE_READ_INTERVAL_MS), nothing more.
 */
export class Peers {
  readonly #deps: PeersDeps
  #unsubscribe: (() => void) | null = null

  constructor (deps: PeersDeps) {
    this.#deps = deps
  }

  /** While the loop runs. */
  listen (): void {
    this.#unsubscribe ??= this.#deps.storage.onSignal((signal) => {
      try { this.#heard(signal) } catch (err) { this.#deps.log('error', { err, signal }, 'acting on a signal failed; the next poll catches up') }
    })
  }

  close (): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
  }

  /** Deliveries were made due (an operator's replay or retry; hastened after an outage): claim for them here now, and tell the others. */
  queued (destination: string | null = null): void {
    this.#tellAll({ kind: 'due', destination })
  }

  /** An operator paused or resumed a destination: read the states here now, and tell the others. */
  pauseChanged (destination: string): void {
    this.#tellAll({ kind: 'paused', destination })
  }

  /** A graceful stop released this gateway's leases: the others may claim them now. */
  released (): void {
    this.#send({ kind: 'due', destination: null })
  }

  #tellAll (signal: StoreSignal): void {
    this.#heard(signal)
    this.#send(signal)
  }

  /** Either kind may make deliveries claimable (a resume does), so both mark; a pause is then held by the read of the states. */
  #heard (signal: StoreSignal): void {
    if (signal.kind === 'paused') this.#deps.pauses.changed()
    if (signal.destination === null) this.#deps.due.markAll()
    else this.#deps.due.mark(signal.destination)
    this.#deps.pump()
  }

  #send (signal: StoreSignal): void {
    this.#deps.storage.signal(signal).catch((err: unknown) => {
      this.#deps.log('warn', { err, signal }, 'telling the other gateways failed; they see it at their next poll')
    })
  }
}
