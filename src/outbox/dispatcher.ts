import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Clock } from '../clock.js'
import type { Config, DestinationConfig } from '../config/load.js'
import { createHttpSender, type Sender } from '../destinations/sender.js'
import type { ClaimedDelivery, DeliveryLease, LeasedDelivery, Store, StoredEvent } from '../store/contract.js'
import { attemptDelivery, type AttemptEnd, type AttemptLog, type SettledAttempt } from './attempt.js'
import { Breakers } from './breaker.js'

export type { SettledAttempt } from './attempt.js'

/** A lease older than twice the largest timeout by this much belongs to an attempt that will never settle. */
export const LEASE_MARGIN_MS = 60_000
/** How often leases are checked for expiry, on the injected clock (so tests drive it too). */
export const SWEEP_INTERVAL_MS = 30_000

export interface DispatcherOptions {
  readonly config: Pick<Config, 'destinations' | 'delivery'>
  readonly store: Store
  readonly clock: Clock
  readonly log: AttemptLog
  /** Jitter's randomness; tests pin it. */
  readonly random?: () => number
  readonly senders?: Readonly<Record<string, Sender>>
  /** Told of every settled attempt (metrics); must not throw, and is ignored if it does. */
  readonly observe?: (attempt: SettledAttempt) => void
}

interface Attempt {
  readonly delivery: ClaimedDelivery
  readonly controller: AbortController
  done: Promise<AttemptEnd>
  /** Its receiver slot is free again: the exchange is over (its settle may still be committing). */
  answered: boolean
}

/**
 * Moves due deliveries out: claims what fits in the free capacity (per
 * destination and in all), sends each, settles each. One claim at a time;
 * another follows a nudge (a new event), a freed slot, or the timer.
 */
export class Dispatcher {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  readonly #o: DispatcherOptions
  readonly #random: () => number
  readonly #senders: Readonly<Record<string, Sender>>
  /** Every attempt until its settle is written: stop() waits for these. */
  readonly #attempts = new Set<Attempt>()
  /** Attempts still talking to their receiver, per destination: what the concurrency limits count. */
  readonly #busy = new Map<string, number>()
  /** Deliveries leased to us (claimed, or inserted leased by ingest) and waiting for a slot, per destination, in order. */
  readonly #ready = new Map<string, ClaimedDelivery[]>()
  /** Deliveries ingest is writing leased (reserved, not yet committed), per destination. */
  readonly #reserved = new Map<string, number>()
  readonly #breakers = new Breakers()
  /**
   * Destinations that answered again after failing, whose deliveries that
   * failed meanwhile (waiting minutes for their next retry) are being made
   * due: see #comeBack.
   */
  readonly #recovering = new Set<string>()
  /** Hastening writes not yet committed: runOnce() waits for them, so a test's next claim sees their rows due. */
  readonly #hastening = new Set<Promise<void>>()
  /**
   * Destinations that may have deliveries due and unclaimed. Only these are
   * claimed for: with new events leased at ingest, a claim after every answer
   * would find nothing, and would hold the slots it asks for while it waits
   * on the writer, turning the next events away from the direct path.
   */
  readonly #due: Set<string>
  /** Bumped whenever a destination may have gained a due delivery, so a claim that read before cannot clear it from #due. */
  readonly #dueSeq = new Map<string, number>()
  #claiming: Promise<Attempt[]> | null = null
  #again = false
  #running = false
  #stopping = false
  #nextDueAt: number | null = null
  /** The earliest retry a settle scheduled since the timer last fired: claims only report their own destinations' next due time. */
  #retryAt: number | null = null
  #turn = 0
  #timer: NodeJS.Timeout | undefined
  /** When the armed timer fires (clock time), or null when none is armed. */
  #timerAt: number | null = null
  #sweptAt: number
  readonly #leaseMs: number

  constructor (options: DispatcherOptions) {
    this.#o = options
    this.#random = options.random ?? Math.random
    this.#sweptAt = options.clock.now()
    // A leased delivery may wait in #ready for one round of attempts (each at most a timeout) before its own.
    this.#leaseMs = 2 * Math.max(0, ...Object.values(options.config.destinations).map((d) => d.timeoutMs)) + LEASE_MARGIN_MS
    this.#due = new Set(Object.keys(options.config.destinations))
    this.#senders = options.senders ?? Object.fromEntries(Object.values(options.config.destinations)
      .map((d) => [d.name, createHttpSender(d, options.clock)]))
  }

  get inFlight (): number { return this.#attempts.size }

  /** At boot: every lease is a dead process's (one gateway per database), so all run again now. */
  recover (): Promise<number> {
    return this.#o.store.reclaimLeases({ now: this.#o.clock.now(), olderThanMs: 0, why: 'the gateway stopped while the delivery was leased to it (being sent, or next in line)' })
  }

  /** Runs the loop until stop(): claims on nudges, freed slots and the poll timer. */
  start (): void {
    this.#running = true
    this.#pump()
  }

  /** Deliveries are due now (queued by an operator): claim at once rather than at the next poll. */
  /** Whether the destination's circuit breaker holds it back (the console and the admin API show it). */
  breakerOpen (destination: string): boolean {
    return this.#breakers.failing(destination)
  }

  nudge (): void {
    this.#allMayBeDue()
    this.#pump()
  }

  /**
   * Reserves, for each destination of a new event, a place among what the
   * dispatcher holds (in flight, waiting in #ready, being written leased: at
   * most twice its concurrency, and twice the global one in all), for ingest
   * to insert those deliveries already leased. After the commit they join
   * #ready and start when a slot is free, at once when one is. A destination
   * its breaker holds back takes only its probe. Null when none is reserved,
   * and always while the loop is off (tests that drive it with runOnce()).
   */
  reserve (destinations: readonly string[]): DeliveryLease | null {
    if (!this.#running || this.#stopping || destinations.length === 0) return null
    const now = this.#o.clock.now()
    const taken: string[] = []
    let holding = this.#holding()
    for (const name of destinations) {
      const destination = this.#o.config.destinations[name]
      if (destination === undefined || this.#room(name, destination, now, true) <= 0) continue
      // The global bound: the window while the breaker is closed, a free global slot for a probe.
      const closed = this.#breakers.allowance(name, now, this.#busy.get(name) ?? 0) === Infinity
      if (closed ? holding >= 2 * this.#o.config.delivery.concurrency : this.#o.config.delivery.concurrency - this.#sending() <= 0) continue
      this.#reserved.set(name, (this.#reserved.get(name) ?? 0) + 1)
      holding++
      taken.push(name)
    }
    return taken.length === 0 ? null : { owner: this.owner, at: now, destinations: taken }
  }

  /**
   * After ingest's write: queues the deliveries its insert leased and starts
   * what the slots allow, frees the places it did not use (a duplicate, a
   * destination paused or with older deliveries waiting, a failed write), and
   * claims what was left pending. `stored` is null when nothing new was stored.
   */
  recorded (lease: DeliveryLease | null, stored: { event: StoredEvent, destinations: readonly string[], leased: readonly LeasedDelivery[] } | null): void {
    let claim = false
    for (const name of stored?.destinations ?? []) {
      if (stored!.leased.some((d) => d.destination === name)) continue
      this.#mayBeDue(name)
      claim = true
    }
    for (const name of lease?.destinations ?? []) {
      this.#reserved.set(name, (this.#reserved.get(name) ?? 1) - 1)
      const leased = stored?.leased.find((d) => d.destination === name)
      if (stored !== null && leased !== undefined) this.#queue(name).push({ id: leased.id, destination: name, attempt: 1, event: stored.event })
      else claim = true // its place is free again
    }
    this.#drain()
    if (claim) this.#pump()
  }

  /** Claims what is due at clock.now(), sends it all and settles it all. Tests drive time with this. */
  async runOnce (): Promise<{ claimed: number, settled: number }> {
    while (this.#claiming !== null) await this.#claiming.catch(() => [])
    await Promise.all(this.#hastening)
    const claiming = this.#claim(false, true)
    this.#claiming = claiming
    const started = await claiming.finally(() => { this.#claiming = null })
    const settled = await Promise.all(started.map((a) => a.done))
    return { claimed: started.length, settled: settled.filter((end) => end.settled).length }
  }

  /**
   * Stops claiming, lets attempts in flight finish within graceMs (less a
   * reserve to settle the rest), then aborts those left: each is settled to
   * run again at once on the next start. Leases still held are released.
   */
  async stop (graceMs: number): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    clearTimeout(this.#timer)
    await this.#claiming?.catch(() => [])
    await this.#unclaim([...this.#ready.keys()])
    const all = () => Promise.all([...this.#attempts].map((a) => a.done))
    let timer: NodeJS.Timeout | undefined
    const waitMs = Math.max(0, graceMs - Math.min(1000, graceMs / 4))
    const finished = await Promise.race([all().then(() => true), new Promise<boolean>((resolve) => { timer = setTimeout(resolve, waitMs, false) })])
    clearTimeout(timer)
    if (!finished) {
      this.#log('warn', { inFlight: this.#attempts.size }, 'grace period over: interrupting deliveries in flight; they run again at the next start')
      for (const a of this.#attempts) a.controller.abort(new Error('the gateway is stopping'))
      await all()
    }
    // Again: ingest may have written leased deliveries while the attempts finished.
    await this.#unclaim([...this.#ready.keys()])
    try {
      await this.#o.store.releaseLeases({ now: this.#o.clock.now(), owner: this.owner })
    } catch (err) {
      this.#log('error', { err }, 'releasing leases failed; the next start reclaims them')
    }
    await Promise.all(Object.values(this.#senders).map((s) => s.close().catch(() => {})))
  }

  #pump (): void {
    if (!this.#running || this.#stopping) return
    if (this.#claiming !== null) { this.#again = true; return }
    this.#again = false
    // Every accepted webhook nudges. While each destination is full or paused by
    // its breaker (a dead receiver), a claim would take nothing: skip it, and let
    // the armed timer (the pause's end) or a freed slot pump again.
    const now = this.#o.clock.now()
    if (!this.#sweepDue(now) && this.#rooms(now, true, false) === null) {
      this.#arm()
      return
    }
    clearTimeout(this.#timer)
    this.#timerAt = null
    const claiming = this.#claim(true, false)
    this.#claiming = claiming
    claiming.catch((err: unknown) => this.#log('error', { err }, 'claiming deliveries failed; retrying at the next poll'))
      .finally(() => {
        this.#claiming = null
        if (this.#again) this.#pump()
        else this.#arm()
      })
  }

  /** Wakes at the next due time or the end of a destination's pause, or after the poll interval, whichever is sooner. */
  #arm (): void {
    if (!this.#running || this.#stopping) return
    const now = this.#o.clock.now()
    const wakeAt = Math.min(this.#nextDueAt ?? Infinity, this.#retryAt ?? Infinity, this.#breakers.nextProbeAt(now) ?? Infinity)
    const waitMs = Math.max(0, Math.min(this.#o.config.delivery.pollIntervalMs, wakeAt - now))
    // Already armed to wake no later: keep that timer (waking early only pumps and re-arms).
    if (this.#timerAt !== null && this.#timerAt <= now + waitMs) return
    clearTimeout(this.#timer)
    this.#timerAt = now + waitMs
    this.#timer = setTimeout(() => {
      this.#timerAt = null
      if (this.#retryAt !== null && this.#retryAt <= this.#o.clock.now()) this.#retryAt = null
      // A retry or a pause's end came due, or the poll: look at every destination.
      this.#allMayBeDue()
      this.#pump()
    }, waitMs).unref()
  }

  /**
   * Leases due deliveries into #ready and starts what the free slots allow.
   * With `lookahead`, a destination whose breaker is closed is claimed for
   * up to twice its concurrency: while the writer is slow (commits waiting on
   * fsync), a claim per round trip that only filled the free slots drained a
   * backlog slower than 1000 events/s came in; the rows waiting in #ready start
   * the moment a slot frees, with no round trip. `every`: every destination
   * with room (runOnce), not only those in #due.
   */
  async #claim (lookahead: boolean, every: boolean): Promise<Attempt[]> {
    const now = this.#o.clock.now()
    await this.#sweep(now)
    const rooms = this.#rooms(now, lookahead, every)
    const limit = (lookahead ? 2 : 1) * this.#o.config.delivery.concurrency - this.#holding()
    if (rooms === null || limit <= 0) return this.#drain()
    // Rotate who is served first, so under a global limit no destination always comes last.
    const names = Object.keys(this.#o.config.destinations)
    const turn = this.#turn++ % names.length
    const rotated = Object.fromEntries([...names.slice(turn), ...names.slice(0, turn)].filter((name) => name in rooms).map((name) => [name, rooms[name]!]))
    const seq = new Map(this.#dueSeq)
    const { claimed, nextDueAt } = await this.#o.store.claimDeliveries({ now, owner: this.owner, slots: rotated, limit })
    this.#nextDueAt = nextDueAt
    for (const name in rotated) {
      // Room to spare (and not for want of global room): nothing of it was
      // due, unless something came due after the claim read.
      const got = claimed.filter((d) => d.destination === name).length
      if (got < rotated[name]! && claimed.length < limit && this.#dueSeq.get(name) === seq.get(name)) this.#due.delete(name)
    }
    for (const delivery of claimed) this.#queue(delivery.destination).push(delivery)
    const started = this.#drain()
    // A breaker that tripped while the claim waited: what it took beyond the probe goes back.
    this.#giveBackHeld()
    return started
  }

  /** How many more deliveries each destination may be claimed for (in #due, unless `every`), or null when none. */
  #rooms (now: number, lookahead: boolean, every: boolean): Record<string, number> | null {
    let rooms: Record<string, number> | null = null
    for (const [name, destination] of Object.entries(this.#o.config.destinations)) {
      if (!every && !this.#due.has(name)) continue
      const room = this.#room(name, destination, now, lookahead)
      if (room > 0) (rooms ??= {})[name] = room
    }
    return rooms
  }

  /**
   * How many more deliveries the destination may hold (in flight, waiting in
   * #ready, reserved by ingest): twice its concurrency with `lookahead`, else
   * its free slots; only its probe while its breaker holds it back.
   */
  #room (name: string, destination: DestinationConfig, now: number, lookahead: boolean): number {
    const busy = this.#busy.get(name) ?? 0
    const allowance = this.#breakers.allowance(name, now, busy)
    // No lookahead while the breaker holds the destination back: rows leased for a long pause would outlive their lease.
    const cap = lookahead && allowance === Infinity ? 2 * destination.concurrency : Math.min(destination.concurrency, busy + allowance)
    return cap - busy - this.#queue(name).length - (this.#reserved.get(name) ?? 0)
  }

  /** Attempts the destination may start now: its concurrency, the global one and its breaker allowing. */
  #startable (name: string, now: number): number {
    const busy = this.#busy.get(name) ?? 0
    const destination = this.#o.config.destinations[name]
    if (destination === undefined) return 0
    return Math.min(destination.concurrency - busy, this.#o.config.delivery.concurrency - this.#sending(), this.#breakers.allowance(name, now, busy))
  }

  /** Starts the leased deliveries waiting in #ready, in order, as far as slots allow. */
  #drain (): Attempt[] {
    const started: Attempt[] = []
    if (this.#stopping) return started
    const now = this.#o.clock.now()
    for (const [name, queue] of this.#ready) {
      while (queue.length > 0 && this.#startable(name, now) > 0) {
        this.#busy.set(name, (this.#busy.get(name) ?? 0) + 1)
        started.push(this.#begin(queue.shift()!))
      }
    }
    return started
  }

  #queue (name: string): ClaimedDelivery[] {
    let queue = this.#ready.get(name)
    if (queue === undefined) this.#ready.set(name, queue = [])
    return queue
  }

  /**
   * Gives leased deliveries that never started back to the table, as due as
   * before and with the attempt their claim counted taken back: when a
   * breaker trips (its pause could outlast their lease) and at stop.
   */
  async #unclaim (names: Iterable<string>): Promise<void> {
    const ids: number[] = []
    for (const name of names) ids.push(...this.#queue(name).splice(0).map((d) => d.id))
    if (ids.length === 0) return
    try {
      await this.#o.store.unclaimDeliveries({ now: this.#o.clock.now(), owner: this.owner, ids })
    } catch (err) {
      this.#log('error', { err }, 'giving back unstarted deliveries failed; their leases are reclaimed later')
    }
  }

  /** Gives back what waits in #ready for a destination its breaker holds back. */
  #giveBackHeld (): void {
    const now = this.#o.clock.now()
    const held = [...this.#ready].filter(([name, queue]) => queue.length > 0 && this.#breakers.allowance(name, now, this.#busy.get(name) ?? 0) !== Infinity)
    if (held.length > 0) void this.#unclaim(held.map(([name]) => name))
  }

  /** The destination may have gained a due delivery: claim for it again. */
  #mayBeDue (name: string): void {
    this.#due.add(name)
    this.#dueSeq.set(name, (this.#dueSeq.get(name) ?? 0) + 1)
  }

  #allMayBeDue (): void {
    for (const name of Object.keys(this.#o.config.destinations)) this.#mayBeDue(name)
  }

  /** Starts an attempt in a slot already counted in #busy (by reserve() or #drain()); #answered frees it. */
  #begin (delivery: ClaimedDelivery): Attempt {
    const attempt: Attempt = { delivery, controller: new AbortController(), done: Promise.resolve({ settled: false, health: 'interrupted' }), answered: false }
    this.#attempts.add(attempt)
    const { config, store, clock, log, observe } = this.#o
    attempt.done = attemptDelivery(delivery, {
      destination: config.destinations[delivery.destination]!,
      sender: this.#senders[delivery.destination]!,
      store, clock, log, observe, random: this.#random, signal: attempt.controller.signal,
      onAnswered: (health) => this.#answered(attempt, health)
    }).then((end) => {
      this.#answered(attempt, end.health)
      this.#attempts.delete(attempt)
      // A retry is due at retryAt: wake then (a claim then finds it).
      if (end.retryAt !== undefined) {
        this.#retryAt = Math.min(this.#retryAt ?? Infinity, end.retryAt)
        this.#arm()
      }
      return end
    })
    return attempt
  }

  /**
   * Frees the attempt's receiver slot (once) and tells its breaker how it
   * went. Slots count exchanges with receivers, not settles: while commits are
   * slow, a slot held until the settle committed left receivers idle and let a
   * backlog build (ack → delivery p99 of hundreds of ms at 1000 events/s).
   */
  #answered (attempt: Attempt, health: AttemptEnd['health']): void {
    if (attempt.answered) return
    attempt.answered = true
    const { destination } = attempt.delivery
    if (health !== 'interrupted') {
      const wasFailing = this.#breakers.failing(destination)
      const pauseMs = this.#breakers.record(destination, health, this.#o.clock.now())
      if (pauseMs !== null) {
        this.#log('warn', { destination, pauseMs }, 'destination keeps failing: pausing its deliveries, then one probe')
        this.#giveBackHeld()
      }
      if (health === 'failure') this.#recovering.delete(destination)
      else if (wasFailing || this.#recovering.has(destination)) this.#comeBack(destination, wasFailing)
    }
    this.#free(destination)
    this.#drain()
    this.#pump()
  }

  /**
   * The destination answers again after failing (a probe, a new event's
   * delivery): what failed meanwhile waits for its next retry, minutes away,
   * and is made due now instead. Bounded: the first answer hastens up to the
   * destination's concurrency, then each further answer one more, so about
   * `concurrency` hastened deliveries are out at a time (no herd), until none
   * waits or an attempt fails again.
   */
  #comeBack (name: string, first: boolean): void {
    const destination = this.#o.config.destinations[name]
    if (destination === undefined || this.#stopping) return
    if (first) this.#log('info', { destination: name }, 'destination answers again: sending what waits for a later retry now')
    this.#recovering.add(name)
    const hastening: Promise<void> = this.#o.store.hastenDeliveries({ now: this.#o.clock.now(), destination: name, limit: first ? destination.concurrency : 1 })
      .then((hastened) => {
        if (hastened === 0) { this.#recovering.delete(name); return }
        this.#mayBeDue(name)
        this.#pump()
      }, (err: unknown) => {
        this.#recovering.delete(name)
        this.#log('error', { err }, 'making waiting deliveries due failed; they run at their next retry')
      })
      .finally(() => { this.#hastening.delete(hastening) })
    this.#hastening.add(hastening)
  }

  /** Frees one of the destination's slots (the caller pumps: a claim may now take what waits for it). */
  #free (destination: string): void {
    this.#busy.set(destination, (this.#busy.get(destination) ?? 1) - 1)
  }

  /**
   * Every SWEEP_INTERVAL_MS, before a claim: frees leases older than twice
   * the largest timeout plus a margin (a lease may wait in #ready for one
   * round of attempts, then run its own). The attempt that held one can no
   * longer be running (its own timeout aborted it), so only a bug or a lost
   * settle leaves one behind; the delivery then runs again rather than
   * waiting for a restart.
   */
  async #sweep (now: number): Promise<void> {
    if (!this.#sweepDue(now)) return
    this.#sweptAt = now
    try {
      const reclaimed = await this.#o.store.reclaimLeases({ now, olderThanMs: this.#leaseMs, why: 'the lease expired' })
      if (reclaimed > 0) {
        this.#log('warn', { reclaimed }, 'reclaimed expired delivery leases')
        this.#allMayBeDue()
      }
    } catch (err) {
      this.#log('error', { err }, 'sweeping expired leases failed')
    }
  }

  /** Everything the dispatcher holds: in flight, waiting in #ready, reserved by ingest. */
  #holding (): number {
    let n = this.#sending()
    for (const queue of this.#ready.values()) n += queue.length
    for (const reserved of this.#reserved.values()) n += reserved
    return n
  }

  /** Attempts talking to a receiver, all destinations together. */
  #sending (): number {
    let n = 0
    for (const busy of this.#busy.values()) n += busy
    return n
  }

  #sweepDue (now: number): boolean {
    return now - this.#sweptAt >= SWEEP_INTERVAL_MS
  }

  /** Logging must never stop a claimed delivery from settling. */
  #log (level: 'info' | 'warn' | 'error', obj: object, msg: string): void {
    try { this.#o.log[level](obj, msg) } catch {}
  }
}
