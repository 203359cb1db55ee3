import type { Clock } from '../clock.js'
import type { Backpressure } from './backpressure.js'
import type { Capacity } from './capacity.js'
import type { DueDestinations } from './due-destinations.js'
import type { ClaimedDelivery, DeliveryLease, LeasedDelivery, StoredEvent } from '../store/contract.js'

/** What ingest stored: the event, where it goes, and which of those deliveries its insert leased. */
export interface RecordedEvent {
  readonly event: StoredEvent
  readonly destinations: readonly string[]
  readonly leased: readonly LeasedDelivery[]
}

export interface HandoffDeps {
  readonly owner: string
  readonly clock: Clock
  readonly capacity: Capacity<ClaimedDelivery>
  readonly due: DueDestinations
  readonly backpressure: Backpressure
  /** False while the loop is off (tests driving runOnce()) or stopping: nothing is then reserved. */
  readonly accepting: () => boolean
  /** Starts what waits for a slot, as far as the slots allow. */
  readonly startWaiting: () => void
  /** Something may be due that no lease covers: claim for it. */
  readonly claimSoon: () => void
}

/**
 * The new-event path that skips a claim: before ingest writes an event, a
 * place is reserved in each of its destinations' windows; the insert leases
 * those deliveries to this dispatcher (first attempt counted, as a claim
 * would), and once committed they wait for a slot in memory and start at once
 * when one is free. A claim would cost a writer round trip per event.
 */
export class IngestHandoff {
  readonly #deps: HandoffDeps
  /** Deliveries ingest's inserts leased to this dispatcher since start. */
  handedOffSoFar = 0

  constructor (deps: HandoffDeps) {
    this.#deps = deps
  }

  /**
   * Places for the event's deliveries: only where the window has one (a
   * held-back destination takes only its probe). Null when none is reserved.
   */
  reserve (destinations: readonly string[]): DeliveryLease | null {
    if (!this.#deps.accepting() || destinations.length === 0) return null
    const taken = destinations.filter((name) => this.#deps.capacity.reserve(name))
    return taken.length === 0 ? null : { owner: this.#deps.owner, at: this.#deps.clock.now(), destinations: taken }
  }

  /**
   * reserve(), and where that found no place but the receiver is brisk and
   * its breaker lets it flow, waits for one (bounded: see Backpressure).
   */
  async admit (destinations: readonly string[]): Promise<DeliveryLease | null> {
    const { capacity, backpressure, clock, owner } = this.#deps
    const lease = this.reserve(destinations)
    if (!this.#deps.accepting() || (lease?.destinations.length ?? 0) === destinations.length) return lease // the usual case
    const placed = new Set(lease?.destinations ?? [])
    const pressing = destinations.filter((name) => !placed.has(name) && capacity.admission(name) === 'flowing' && backpressure.brisk(name))
    if (pressing.length === 0) return lease
    const granted = await Promise.all(pressing.map((name) => backpressure.wait(name)))
    pressing.forEach((name, i) => { if (granted[i] === true) placed.add(name) })
    return placed.size === 0 ? null : { owner, at: clock.now(), destinations: destinations.filter((name) => placed.has(name)) }
  }

  /** Ingest waiting for room gets what a claim need not take first: older deliveries due go first. */
  grantWaiting (): void {
    const { backpressure, due, capacity } = this.#deps
    if (backpressure.waiting === 0) return // every freed slot comes here
    for (const name of backpressure.awaited()) {
      if (!due.has(name)) backpressure.grant(name, () => capacity.reserve(name))
    }
  }

  /**
   * After ingest's write: what its insert leased waits for a slot; places it
   * did not use (a duplicate, a paused destination, older deliveries due
   * first, a failed write) come back; deliveries stored unleased are claimed.
   * `stored` is null when nothing new was stored.
   */
  recorded (lease: DeliveryLease | null, stored: RecordedEvent | null): void {
    const { capacity, due } = this.#deps
    let claim = false
    for (const name of stored?.destinations ?? []) {
      if (stored!.leased.some((d) => d.destination === name)) continue
      due.mark(name)
      claim = true
    }
    for (const name of lease?.destinations ?? []) {
      capacity.unreserve(name)
      const leased = stored?.leased.find((d) => d.destination === name)
      if (stored !== null && leased !== undefined) {
        capacity.wait({ id: leased.id, destination: name, attempt: 1, event: stored.event })
        this.handedOffSoFar++
      } else {
        claim = true // its place is free again
      }
    }
    this.#deps.startWaiting()
    if (claim) this.#deps.claimSoon()
  }
}
