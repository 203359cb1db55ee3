import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Clock } from '../clock.js'
import type { Config } from '../config/load.js'
import type { SenderRegistry } from '../destinations/registry.js'
import type { Sender } from '../destinations/sender.js'
import type { AttemptEnd, AttemptLog, SettledAttempt } from './attempt.js'
import { Backpressure } from './backpressure.js'
import { Breakers } from './breaker.js'
import { Capacity } from './capacity.js'
import { ClaimLoop } from './claim-loop.js'
import { Claims } from './claims.js'
import { DueDestinations } from './due-destinations.js'
import { IngestHandoff, type RecordedEvent } from './handoff.js'
import { InFlight, type Health } from './in-flight.js'
import { leaseLifetimeMs, LeaseSweep } from './lease-sweep.js'
import { PauseWatch } from './pause-watch.js'
import { Peers } from './peers.js'
import { Recovery } from './recovery.js'
import { SubjectLines } from './subject-lines.js'
import type { DeliveryStorage } from './storage.js'
import type { ClaimedDelivery, DeliveryLease } from '../store/contract.js'

export type { SettledAttempt } from './attempt.js'

export interface DispatcherOptions {
  readonly config: Pick<Config, 'destinations' | 'delivery'>
  readonly store: DeliveryStorage
  readonly clock: Clock
  readonly log: AttemptLog
  /** Jitter's randomness; tests pin it. */
  readonly random?: () => number
  /** How each destination is reached, by its kind (src/destinations/registry.ts). */
  readonly senders: SenderRegistry
  /** Told of every settled attempt (metrics); must not throw, and is ignored if it does. */
  readonly observe?: (attempt: SettledAttempt) => void
}

/**
 * Moves due deliveries out: claims what fits in the free capacity (per
 * destination and in all), sends each, settles each. One claim at a time;
 * another follows a nudge, a freed slot, or the wake-up timer. New events
 * mostly skip the claim: see IngestHandoff.
 */
export class Dispatcher {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  readonly #options: DispatcherOptions
  readonly #clock: Clock
  readonly #senders: Readonly<Record<string, Sender>>
  readonly #breakers = new Breakers()
  readonly #backpressure: Backpressure
  readonly #capacity: Capacity<ClaimedDelivery>
  readonly #due: DueDestinations
  readonly #handoff: IngestHandoff
  readonly #claims: Claims
  readonly #sweep: LeaseSweep
  readonly #peers: Peers
  readonly #recovery: Recovery
  readonly #loop: ClaimLoop
  readonly #inFlight: InFlight
  readonly #lines: SubjectLines
  /** Writes on the side (hastening, giving back): runOnce() and idle() wait for them. */
  readonly #background = new Set<Promise<void>>()
  #running = false
  #stopping = false

  constructor (options: DispatcherOptions) {
    const { config, clock } = options
    const log = (level: keyof AttemptLog, obj: object, msg: string): void => { this.#log(level, obj, msg) }
    this.#options = options
    this.#clock = clock
    const storage = options.store
    const destinations = Object.keys(config.destinations)
    this.#lines = new SubjectLines(config.destinations, options.store.exclusive)
    this.#senders = Object.fromEntries(Object.values(config.destinations).map((d) => [d.name, options.senders.senderFor(d)]))
    const concurrency = Object.fromEntries(Object.values(config.destinations).map((d) => [d.name, d.concurrency]))
    const pauses = new PauseWatch(storage, log)
    this.#capacity = new Capacity({ concurrency, globalConcurrency: config.delivery.concurrency },
      (name, sending) => pauses.has(name) ? 'held' : this.#breakers.admission(name, clock.now(), sending))
    this.#due = new DueDestinations(destinations)
    this.#backpressure = new Backpressure(clock)
    this.#handoff = new IngestHandoff({
      owner: this.owner, clock, capacity: this.#capacity, due: this.#due, backpressure: this.#backpressure,
      accepting: () => this.#running && !this.#stopping,
      startWaiting: () => { this.#startWaiting() },
      claimSoon: () => { this.#loop.pump() }
    })
    this.#sweep = new LeaseSweep(storage, this.owner, leaseLifetimeMs(Object.values(config.destinations)), clock.now())
    this.#peers = new Peers({ storage, due: this.#due, pauses, pump: () => { this.#loop.pump() }, log })
    this.#claims = new Claims({ owner: this.owner, clock, storage, capacity: this.#capacity, due: this.#due, sweep: this.#sweep, pauses, destinations, ordering: this.#lines.ordering, log })
    this.#recovery = new Recovery({
      storage, clock, log,
      concurrencyOf: (name) => config.destinations[name]?.concurrency,
      stopping: () => this.#stopping,
      hastened: (name) => { this.#peers.queued(name) },
      track: (work) => { this.#track(work) }
    })
    this.#loop = new ClaimLoop({
      clock, pollIntervalMs: config.delivery.pollIntervalMs, log,
      active: () => this.#running && !this.#stopping,
      worthwhile: () => this.#claims.worthwhile(true),
      claim: () => this.#claim(true, false),
      wakeTimes: (now) => [this.#claims.nextDueAt, this.#breakers.nextProbeAt(now), this.#claims.nextChoreAt],
      woken: () => { this.#due.markAll() }
    })
    this.#inFlight = new InFlight({
      config, senders: this.#senders, store: storage, clock, log: options.log, random: options.random ?? Math.random, observe: options.observe,
      answered: (destination, health, durationMs) => { this.#answered(destination, health, durationMs) },
      ended: (end, delivery) => {
        if (end.retryAt !== undefined) this.#loop.retryAt(end.retryAt)
        // A settled head lets the next of its subject go: claim for it now, not at the next poll.
        if (this.#lines.movesOn(delivery)) { this.#due.mark(delivery.destination); this.#loop.pump() }
      }
    })
  }

  get inFlight (): number { return this.#inFlight.size }
  /** Ingest requests waiting for a place in a brisk receiver's window (see Backpressure). */
  get ingestWaiting (): number { return this.#backpressure.waiting }

  /** How the deliveries sent so far were leased: by a claim, or by ingest's insert (the hand-off). */
  leasedSoFar (): { byClaim: number, byHandoff: number } {
    return { byClaim: this.#claims.claimedSoFar, byHandoff: this.#handoff.handedOffSoFar }
  }

  /** At boot, the first beat; on an exclusive store every lease is a dead process's, so all run again now. */
  recover (): Promise<number> { return this.#sweep.recover(this.#clock.now()) }

  /** Runs the loop until stop(): claims on nudges, signals, freed slots and the wake-up timer. */
  start (): void {
    this.#running = true
    this.#peers.listen()
    this.#loop.pump()
  }

  /** Whether the destination's circuit breaker holds it back (the console and the admin API show it). */
  breakerOpen (destination: string): boolean { return this.#breakers.failing(destination) }

  /** Deliveries were made due (an operator's replay or retry): claimed at once, here and on every gateway sharing the store, not at their next poll. */
  nudge (): void { this.#peers.queued() }

  /** An operator paused or resumed a destination: read here now, and the other gateways are told. */
  pauseChanged (destination: string): void { this.#peers.pauseChanged(destination) }

  /**
   * Before ingest writes an event: places for its deliveries, inserted leased
   * (see IngestHandoff), except where a destination orders by the event's
   * subject (a claim takes those at the head of their line). Null while the loop is off.
   */
  reserve (destinations: readonly string[], subject: string | null = null): DeliveryLease | null { return this.#handoff.reserve(this.#lines.handOff(destinations, subject)) }

  /** reserve(), waiting (bounded) for a place where a brisk receiver's window is full: ingest's backpressure. */
  admit (destinations: readonly string[], subject: string | null = null): Promise<DeliveryLease | null> { return this.#handoff.admit(this.#lines.handOff(destinations, subject)) }

  /** After ingest's write: `stored` is null when nothing new was stored. */
  recorded (lease: DeliveryLease | null, stored: RecordedEvent | null): void { this.#handoff.recorded(lease, stored) }

  /** Claims what is due at clock.now(), sends it all and settles it all. Tests drive time with this. */
  async runOnce (): Promise<{ claimed: number, settled: number }> {
    const started = await this.#loop.exclusive(async () => {
      await Promise.all(this.#background) // hastened rows must be due for this claim
      return await this.#claim(false, true)
    })
    const ends = await Promise.all(started)
    return { claimed: started.length, settled: ends.filter((end) => end.settled).length }
  }

  /**
   * Resolves once nothing is being claimed, sent, settled or written on the
   * side: what a test awaits after an ingest or a clock move, instead of
   * polling. A pending wake-up timer does not count (it waits on the clock).
   */
  async idle (): Promise<void> {
    for (;;) {
      const busy: Array<Promise<unknown>> = [...this.#background, ...this.#inFlight.settled()]
      if (this.#loop.claiming !== null) busy.push(this.#loop.claiming)
      if (busy.length === 0) return
      // Whatever these start next is registered before they settle, so the loop sees it.
      await Promise.allSettled(busy)
    }
  }

  /**
   * Stops claiming, gives back what waits for a slot, lets attempts in
   * flight finish within graceMs (less a reserve to settle the rest), then
   * aborts those left: each is settled to run again at once on the next
   * start. Leases still held are released, and the other gateways told.
   */
  async stop (graceMs: number): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    this.#backpressure.releaseAll()
    this.#peers.close()
    await this.#loop.stop()
    await this.#claims.giveBack()
    if (!await this.#inFlight.endWithin(Math.max(0, graceMs - Math.min(1000, graceMs / 4)))) {
      this.#log('warn', { inFlight: this.#inFlight.size }, 'grace period over: interrupting deliveries in flight; they run again at the next start')
      await this.#inFlight.interrupt(new Error('the gateway is stopping'))
    }
    await this.#claims.giveBack() // ingest may have leased more while the attempts finished
    await this.#claims.releaseAll()
    this.#peers.released()
    await Promise.all(Object.values(this.#senders).map((s) => s.close().catch(() => {})))
  }

  /** Claims, then starts what the free slots allow. */
  async #claim (lookahead: boolean, every: boolean): Promise<Array<Promise<AttemptEnd>>> {
    await this.#claims.claim(lookahead, every)
    const started = this.#startWaiting()
    this.#giveBackHeld() // a pause read now, or a breaker that tripped while the claim waited
    return started
  }

  /** Starts the leased deliveries waiting for a slot, in order, as far as the slots allow. */
  #startWaiting (): Array<Promise<AttemptEnd>> {
    if (this.#stopping) return []
    const started = this.#capacity.takeStartable().map((delivery) => this.#inFlight.start(delivery))
    this.#handoff.grantWaiting()
    return started
  }

  /**
   * Frees the attempt's slot (once) and tells its breaker how it went. Slots
   * count exchanges with receivers, not settles: a slot held until its settle
   * committed would leave receivers idle while commits are slow.
   */
  #answered (destination: string, health: Health, durationMs: number): void {
    if (health !== 'interrupted') {
      this.#backpressure.exchanged(destination, health === 'answer', durationMs)
      const failures = this.#breakers.failuresInARow(destination)
      const pauseMs = this.#breakers.record(destination, health, this.#clock.now())
      if (pauseMs !== null) {
        this.#log('warn', { destination, pauseMs }, 'destination keeps failing: pausing its deliveries, then one probe')
        this.#giveBackHeld()
      }
      this.#recovery.exchanged(destination, health, failures)
    }
    this.#capacity.free(destination)
    this.#startWaiting()
    this.#loop.pump()
  }

  /** What waits for a destination held back (paused, or its breaker open) goes back to the table: the hold could outlast its lease. */
  #giveBackHeld (): void {
    const held = this.#capacity.heldBack()
    if (held.length > 0) this.#track(this.#claims.giveBack(held))
  }

  #track (work: Promise<void>): void {
    const tracked = work.finally(() => { this.#background.delete(tracked) })
    this.#background.add(tracked)
  }

  /** Logging must never stop a claimed delivery from settling. */
  #log (level: keyof AttemptLog, obj: object, msg: string): void {
    try { this.#options.log[level](obj, msg) } catch {}
  }
}
