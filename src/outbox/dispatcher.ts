import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Clock } from '../clock.js'
import type { Config } from '../config/load.js'
import type { Writer } from '../db/writer.js'
import { createHttpSender, type Sender } from '../destinations/sender.js'
import { attemptDelivery, type AttemptEnd, type AttemptLog, type SettledAttempt } from './attempt.js'
import { Breakers } from './breaker.js'
import type { ClaimedDelivery } from './deliveries.js'

export type { SettledAttempt } from './attempt.js'

/** A lease older than the destination's timeout by this much belongs to an attempt that will never settle. */
export const LEASE_MARGIN_MS = 60_000
/** How often leases are checked for expiry, on the injected clock (so tests drive it too). */
export const SWEEP_INTERVAL_MS = 30_000

export interface DispatcherOptions {
  readonly config: Pick<Config, 'destinations' | 'delivery'>
  readonly writer: Writer
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
  readonly #breakers = new Breakers()
  #claiming: Promise<Attempt[]> | null = null
  #again = false
  #running = false
  #stopping = false
  #nextDueAt: number | null = null
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
    this.#leaseMs = Math.max(0, ...Object.values(options.config.destinations).map((d) => d.timeoutMs)) + LEASE_MARGIN_MS
    this.#senders = options.senders ?? Object.fromEntries(Object.values(options.config.destinations)
      .map((d) => [d.name, createHttpSender(d, options.clock)]))
  }

  get inFlight (): number { return this.#attempts.size }

  /** At boot: every lease is a dead process's (one gateway per database), so all run again now. */
  recover (): Promise<number> {
    return this.#o.writer.run('reclaimLeases', { now: this.#o.clock.now(), olderThanMs: 0, why: 'the gateway stopped mid-attempt' })
  }

  /** Runs the loop until stop(): claims on nudges, freed slots and the poll timer. */
  start (): void {
    this.#running = true
    this.#pump()
  }

  /** A new delivery is due now: claim at once rather than at the next poll. */
  nudge (): void { this.#pump() }

  /** Claims what is due at clock.now(), sends it all and settles it all. Tests drive time with this. */
  async runOnce (): Promise<{ claimed: number, settled: number }> {
    while (this.#claiming !== null) await this.#claiming.catch(() => [])
    const claiming = this.#claim()
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
    try {
      await this.#o.writer.run('releaseLeases', { now: this.#o.clock.now(), owner: this.owner })
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
    if (!this.#sweepDue(now) && this.#freeSlots(now) === null) {
      this.#arm()
      return
    }
    clearTimeout(this.#timer)
    this.#timerAt = null
    const claiming = this.#claim()
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
    const wakeAt = Math.min(this.#nextDueAt ?? Infinity, this.#breakers.nextProbeAt(now) ?? Infinity)
    const waitMs = Math.max(0, Math.min(this.#o.config.delivery.pollIntervalMs, wakeAt - now))
    // Already armed to wake no later: keep that timer (waking early only pumps and re-arms).
    if (this.#timerAt !== null && this.#timerAt <= now + waitMs) return
    clearTimeout(this.#timer)
    this.#timerAt = now + waitMs
    this.#timer = setTimeout(() => { this.#timerAt = null; this.#pump() }, waitMs).unref()
  }

  async #claim (): Promise<Attempt[]> {
    const now = this.#o.clock.now()
    await this.#sweep(now)
    const limit = this.#o.config.delivery.concurrency - this.#sending()
    const names = Object.keys(this.#o.config.destinations)
    const slots = this.#freeSlots(now)
    if (slots === null) return []
    // Rotate who is served first, so under a global limit no destination always comes last.
    const turn = this.#turn++ % names.length
    const rotated = Object.fromEntries([...names.slice(turn), ...names.slice(0, turn)].filter((name) => name in slots).map((name) => [name, slots[name]!]))
    const { claimed, nextDueAt } = await this.#o.writer.run('claimDeliveries', { now, owner: this.owner, slots: rotated, limit })
    this.#nextDueAt = nextDueAt
    return claimed.map((delivery) => this.#begin(delivery))
  }

  /** Attempts each destination may start now (its concurrency and its breaker allowing), or null when none may start any. */
  #freeSlots (now: number): Record<string, number> | null {
    if (this.#o.config.delivery.concurrency - this.#sending() <= 0) return null
    let slots: Record<string, number> | null = null
    for (const name in this.#o.config.destinations) {
      const busy = this.#busy.get(name) ?? 0
      const free = Math.min(this.#o.config.destinations[name]!.concurrency - busy, this.#breakers.allowance(name, now, busy))
      if (free > 0) (slots ??= {})[name] = free
    }
    return slots
  }

  #begin (delivery: ClaimedDelivery): Attempt {
    const attempt: Attempt = { delivery, controller: new AbortController(), done: Promise.resolve({ settled: false, health: 'interrupted' }), answered: false }
    this.#attempts.add(attempt)
    this.#busy.set(delivery.destination, (this.#busy.get(delivery.destination) ?? 0) + 1)
    const { config, writer, clock, log, observe } = this.#o
    attempt.done = attemptDelivery(delivery, {
      destination: config.destinations[delivery.destination]!,
      sender: this.#senders[delivery.destination]!,
      writer, clock, log, observe, random: this.#random, signal: attempt.controller.signal,
      onAnswered: (health) => this.#answered(attempt, health)
    }).then((end) => {
      this.#answered(attempt, end.health)
      this.#attempts.delete(attempt)
      // Again once the settle is written: the timer is armed from what claims
      // see, and this one surely sees the retry time the settle set.
      this.#pump()
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
    this.#busy.set(destination, (this.#busy.get(destination) ?? 1) - 1)
    if (health !== 'interrupted') {
      const pauseMs = this.#breakers.record(destination, health, this.#o.clock.now())
      if (pauseMs !== null) this.#log('warn', { destination, pauseMs }, 'destination keeps failing: pausing its deliveries, then one probe')
    }
    this.#pump()
  }

  /**
   * Every SWEEP_INTERVAL_MS, before a claim: frees leases older than the
   * largest timeout plus a margin. The attempt that held one can no longer
   * be running (its own timeout aborted it), so only a bug or a lost settle
   * leaves one behind; the delivery then runs again rather than waiting for
   * a restart.
   */
  async #sweep (now: number): Promise<void> {
    if (!this.#sweepDue(now)) return
    this.#sweptAt = now
    try {
      const reclaimed = await this.#o.writer.run('reclaimLeases', { now, olderThanMs: this.#leaseMs, why: 'the lease expired' })
      if (reclaimed > 0) this.#log('warn', { reclaimed }, 'reclaimed expired delivery leases')
    } catch (err) {
      this.#log('error', { err }, 'sweeping expired leases failed')
    }
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
