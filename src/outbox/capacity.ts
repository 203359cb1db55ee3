import type { Admission } from './breaker.js'

/**
 * How many deliveries the dispatcher may hold per destination beyond its
 * free slots, as a multiple of its concurrency. While commits wait on fsync,
 * a claim that only filled the free slots cost a writer round trip per
 * slot; rows leased ahead start the moment a slot frees.
 */
export const LOOKAHEAD_FACTOR = 2

export interface CapacityLimits {
  /** Attempts each destination may have talking to its receiver at once. */
  readonly concurrency: Readonly<Record<string, number>>
  /** Attempts all destinations together may have at once. */
  readonly globalConcurrency: number
}

/** What the breakers say of a destination, given how many of its attempts are sending. */
export type AdmissionOf = (destination: string, sending: number) => Admission

/**
 * The dispatcher's slot counting, with no timers and no storage. It holds
 * three kinds of deliveries per destination: `sending` (talking to the
 * receiver: what the concurrency limits count), `waiting` (leased, in order,
 * for a free slot) and `reserved` (places promised to ingest, whose insert
 * leases them). The window (what may be held) is the lookahead multiple of
 * the concurrency while the breaker lets the destination flow; while it is
 * held back only its probe, since rows leased for a long pause would outlive
 * their lease. A claim counts all three against the window; a new place for
 * ingest, while the destination flows, only what the receiver has yet to
 * take (see reserve).
 */
export class Capacity<T extends { readonly destination: string }> {
  readonly #limits: CapacityLimits
  readonly #admission: AdmissionOf
  readonly #sending = new Map<string, number>()
  readonly #reserved = new Map<string, number>()
  readonly #waiting = new Map<string, T[]>()

  constructor (limits: CapacityLimits, admission: AdmissionOf) {
    this.#limits = limits
    this.#admission = admission
  }

  sending (destination: string): number { return this.#sending.get(destination) ?? 0 }

  /** Attempts talking to a receiver, all destinations together. */
  totalSending (): number { return sum(this.#sending.values()) }

  /** Everything held: sending, waiting and reserved, all destinations together. */
  holding (): number {
    let n = this.totalSending() + sum(this.#reserved.values())
    for (const queue of this.#waiting.values()) n += queue.length
    return n
  }

  admission (destination: string): Admission { return this.#admission(destination, this.sending(destination)) }

  /** How many more the destination may hold: its window with `lookahead`, else its free slots. */
  room (destination: string, lookahead: boolean): number {
    const concurrency = this.#limits.concurrency[destination]
    if (concurrency === undefined) return 0
    const sending = this.sending(destination)
    const admission = this.admission(destination)
    const cap = admission === 'flowing'
      ? (lookahead ? LOOKAHEAD_FACTOR : 1) * concurrency
      : Math.min(concurrency, sending + (admission === 'probe' ? 1 : 0))
    return cap - sending - this.#queue(destination).length - (this.#reserved.get(destination) ?? 0)
  }

  /** Room per destination among `destinations`, only those with some; null when none has. */
  rooms (destinations: Iterable<string>, lookahead: boolean): Record<string, number> | null {
    let rooms: Record<string, number> | null = null
    for (const name of destinations) {
      const room = this.room(name, lookahead)
      if (room > 0) (rooms ??= {})[name] = room
    }
    return rooms
  }

  /** How many one claim may take in all: the global window (or free slots) less what is held. */
  claimLimit (lookahead: boolean): number {
    return (lookahead ? LOOKAHEAD_FACTOR : 1) * this.#limits.globalConcurrency - this.holding()
  }

  /**
   * Takes a place for a new event's delivery, if its window has one and so
   * does the global bound: the global window while the breaker lets it flow,
   * a free global slot for a probe.
   */
  reserve (destination: string): boolean {
    const flowing = this.admission(destination) === 'flowing'
    // While it flows, only the receiver's side of the window counts (sending,
    // and leased waiting for a slot), not places promised to commits still
    // under way: counting those turned a slow fsync into a full window, and
    // ingest waited for the receiver when it was the disk it waited for. The
    // window overshoots by at most the events of the commits under way, whose
    // bytes are held in memory until then anyway.
    const promised = flowing ? this.#reserved.get(destination) ?? 0 : 0
    if (this.room(destination, true) + promised <= 0) return false
    const globalRoom = flowing
      ? LOOKAHEAD_FACTOR * this.#limits.globalConcurrency - this.holding() + sum(this.#reserved.values())
      : this.#limits.globalConcurrency - this.totalSending()
    if (globalRoom <= 0) return false
    this.#reserved.set(destination, (this.#reserved.get(destination) ?? 0) + 1)
    return true
  }

  /** Gives a reserved place back: ingest leased the delivery (see `wait`) or stored none. */
  unreserve (destination: string): void {
    this.#reserved.set(destination, Math.max(0, (this.#reserved.get(destination) ?? 0) - 1))
  }

  /** Queues a leased delivery for a free slot, behind those of its destination already waiting. */
  wait (delivery: T): void {
    this.#queue(delivery.destination).push(delivery)
  }

  /** Takes the waiting deliveries the slots allow to start now, in order, each counted as sending. */
  takeStartable (): T[] {
    const started: T[] = []
    for (const [name, queue] of this.#waiting) {
      while (queue.length > 0 && this.#startable(name) > 0) {
        this.#sending.set(name, this.sending(name) + 1)
        started.push(queue.shift()!)
      }
    }
    return started
  }

  /** An attempt's exchange with its receiver is over: its slot is free. */
  free (destination: string): void {
    this.#sending.set(destination, Math.max(0, this.sending(destination) - 1))
  }

  /** Removes and returns what waits for `destinations` (all by default): to give back to the table. */
  takeWaiting (destinations: Iterable<string> = [...this.#waiting.keys()]): T[] {
    const taken: T[] = []
    for (const name of destinations) taken.push(...this.#queue(name).splice(0))
    return taken
  }

  /** Destinations with deliveries waiting that their breaker holds back (a pause could outlast the lease). */
  heldBack (): string[] {
    return [...this.#waiting].filter(([name, queue]) => queue.length > 0 && this.admission(name) !== 'flowing').map(([name]) => name)
  }

  /** Attempts the destination may start now: its concurrency, the global one and its breaker allowing. */
  #startable (destination: string): number {
    const concurrency = this.#limits.concurrency[destination]
    if (concurrency === undefined) return 0
    const admission = this.admission(destination)
    if (admission === 'held') return 0
    const slots = Math.min(concurrency - this.sending(destination), this.#limits.globalConcurrency - this.totalSending())
    return admission === 'probe' ? Math.min(1, slots) : slots
  }

  #queue (destination: string): T[] {
    let queue = this.#waiting.get(destination)
    if (queue === undefined) this.#waiting.set(destination, queue = [])
    return queue
  }
}

function sum (values: Iterable<number>): number {
  let n = 0
  for (const v of values) n += v
  return n
}
