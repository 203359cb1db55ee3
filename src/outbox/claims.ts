import type { Clock } from '../clock.js'
import type { AttemptLog } from './attempt.js'
import type { Capacity } from './capacity.js'
import type { DueDestinations } from './due-destinations.js'
import type { LeaseSweep } from './lease-sweep.js'
import type { PauseWatch } from './pause-watch.js'
import type { DeliveryStorage } from './storage.js'
import type { ClaimedDelivery, OnDead } from '../store/contract.js'

export interface ClaimsDeps {
  readonly owner: string
  readonly clock: Clock
  readonly storage: Pick<DeliveryStorage, 'claimDeliveries' | 'unclaimDeliveries' | 'releaseLeases'>
  readonly capacity: Capacity<ClaimedDelivery>
  readonly due: DueDestinations
  readonly sweep: LeaseSweep
  readonly pauses: PauseWatch
  /** Every configured destination, in the configured order. */
  readonly destinations: readonly string[]
  /** Destinations that order by subject (see ClaimArgs.ordering). */
  readonly ordering?: Readonly<Record<string, OnDead>> | undefined
  readonly log: (level: keyof AttemptLog, obj: object, msg: string) => void
}

/**
 * Leases go both ways here: a claim takes due deliveries from the table
 * into Capacity's waiting lines, a give-back returns those that never
 * started, as due as before, the attempt their claim counted taken back.
 */
export class Claims {
  readonly #deps: ClaimsDeps
  /** Who is served first, rotated per claim so that under the global limit no destination always comes last. */
  #firstServed = 0
  /** The earliest run_at among destinations the last claim left room in: when to look again. */
  nextDueAt: number | null = null
  /** Deliveries leased by claims since start. */
  claimedSoFar = 0

  constructor (deps: ClaimsDeps) {
    this.#deps = deps
  }

  /** Whether a claim could take anything now: a sweep or a read of the pauses is due, or a destination that may have some due has room. */
  worthwhile (lookahead: boolean): boolean {
    const now = this.#deps.clock.now()
    return this.#deps.sweep.due(now) || this.#deps.pauses.due(now) || this.#rooms(lookahead, false) !== null
  }

  /** When a sweep, a beat or a read of the pauses is next due, whether or not anything is. */
  get nextChoreAt (): number {
    return Math.min(this.#deps.sweep.nextAt(), this.#deps.pauses.nextReadAt)
  }

  /**
   * Sweeps leases and reads the pauses when due, then leases due deliveries. `lookahead`
   * claims up to each destination's window (see Capacity); `every` claims for
   * every destination with room (runOnce), not only those that may have some due.
   */
  async claim (lookahead: boolean, every: boolean): Promise<void> {
    const { clock, capacity, due, storage, owner } = this.#deps
    const now = clock.now()
    await this.#sweep(now)
    for (const name of await this.#deps.pauses.readIfDue(now)) due.mark(name)
    const rooms = this.#rooms(lookahead, every)
    const limit = capacity.claimLimit(lookahead)
    if (rooms === null || limit <= 0) return
    const slots = inTurn(rooms, this.#deps.destinations, this.#firstServed++)
    const marks = due.versions()
    const ordering = this.#deps.ordering
    const { claimed, nextDueAt } = await storage.claimDeliveries({ now, owner, slots, limit, ...(ordering !== undefined ? { ordering } : {}) })
    this.nextDueAt = nextDueAt
    this.claimedSoFar += claimed.length
    // Room to spare, and not for want of global room: nothing more of it is due.
    for (const name in slots) {
      if (claimed.length < limit && claimed.filter((d) => d.destination === name).length < slots[name]!) due.clearUnlessMarked(name, marks)
    }
    for (const delivery of claimed) capacity.wait(delivery)
  }

  /** Gives back what waits for a slot for `destinations` (all by default). Never rejects: a lease left is reclaimed later. */
  async giveBack (destinations?: Iterable<string>): Promise<void> {
    const ids = this.#deps.capacity.takeWaiting(destinations).map((d) => d.id)
    if (ids.length === 0) return
    try {
      await this.#deps.storage.unclaimDeliveries({ now: this.#deps.clock.now(), owner: this.#deps.owner, ids })
    } catch (err) {
      this.#deps.log('error', { err }, 'giving back unstarted deliveries failed; their leases are reclaimed later')
    }
  }

  /**
   * At stop: every lease this process still holds goes back, then it beats
   * no more. Never rejects: what is left is reclaimed by the next start or,
   * with replicas, by the others once the beats stopped long enough.
   */
  async releaseAll (): Promise<void> {
    try {
      await this.#deps.storage.releaseLeases({ now: this.#deps.clock.now(), owner: this.#deps.owner })
      await this.#deps.sweep.retire()
    } catch (err) {
      this.#deps.log('error', { err }, 'releasing leases failed; the next start, or another gateway, reclaims them')
    }
  }

  #rooms (lookahead: boolean, every: boolean): Record<string, number> | null {
    const { destinations, due, capacity } = this.#deps
    return capacity.rooms(every ? destinations : destinations.filter((name) => due.has(name)), lookahead)
  }

  async #sweep (now: number): Promise<void> {
    try {
      const reclaimed = await this.#deps.sweep.sweepIfDue(now)
      if (reclaimed > 0) {
        this.#deps.log('warn', { reclaimed }, 'reclaimed delivery leases that expired or whose gateway stopped beating')
        this.#deps.due.markAll()
      }
    } catch (err) {
      this.#deps.log('error', { err }, 'beating or sweeping leases failed')
    }
  }
}

/** The rooms in serving order: the configured order, rotated to start at `turn`. */
export function inTurn (rooms: Readonly<Record<string, number>>, order: readonly string[], turn: number): Record<string, number> {
  const start = turn % order.length
  const rotated = [...order.slice(start), ...order.slice(0, start)]
  return Object.fromEntries(rotated.filter((name) => name in rooms).map((name) => [name, rooms[name]!]))
}
