import type { Clock } from '../clock.js'
import type { AttemptLog } from './attempt.js'
import { WakeTimer } from './wake-timer.js'

export interface ClaimLoopDeps {
  readonly clock: Clock
  readonly pollIntervalMs: number
  /** False while the loop is off (tests drive runOnce()) or stopping. */
  readonly active: () => boolean
  /** Whether a claim could take anything now. */
  readonly worthwhile: () => boolean
  /** One claim, with the lookahead; it starts what it leased. */
  readonly claim: () => Promise<unknown>
  /** Times the loop must look again at (next due row, a pause's end), or null. */
  readonly wakeTimes: (now: number) => ReadonlyArray<number | null>
  /** The timer fired: a retry or a pause's end came due, or the poll. */
  readonly woken: () => void
  readonly log: (level: keyof AttemptLog, obj: object, msg: string) => void
}

/**
 * One claim at a time: a pump while one runs makes another follow it; a pump
 * that could take nothing (every due destination full or held back) only
 * arms the wake-up timer, so the hundreds of pumps a second that ingest
 * makes cost nothing while receivers are slow.
 */
export class ClaimLoop {
  readonly #deps: ClaimLoopDeps
  readonly #wake: WakeTimer
  /** The claim under way, with what follows it; never rejects. Null between claims. */
  #claiming: Promise<void> | null = null
  #claimAgain = false
  /** The earliest retry a settle scheduled since the timer last fired. */
  #retryAt: number | null = null

  constructor (deps: ClaimLoopDeps) {
    this.#deps = deps
    this.#wake = new WakeTimer(deps.clock, () => {
      if (this.#retryAt !== null && this.#retryAt <= deps.clock.now()) this.#retryAt = null
      deps.woken()
      this.pump()
    })
  }

  /** The claim under way, or null. */
  get claiming (): Promise<void> | null { return this.#claiming }

  pump (): void {
    if (!this.#deps.active()) return
    if (this.#claiming !== null) { this.#claimAgain = true; return }
    this.#claimAgain = false
    if (!this.#deps.worthwhile()) return this.#arm()
    this.#wake.cancel()
    this.#claiming = this.#deps.claim()
      .then(() => {}, (err: unknown) => { this.#deps.log('error', { err }, 'claiming deliveries failed; retrying at the next poll') })
      .finally(() => {
        this.#claiming = null
        if (this.#claimAgain) this.pump()
        else this.#arm()
      })
  }

  /** A settle made a delivery due again at `at`: wake then, when a claim finds it. */
  retryAt (at: number): void {
    this.#retryAt = Math.min(this.#retryAt ?? Infinity, at)
    this.#arm()
  }

  /** Runs `claim` once no other claim is under way, holding off the loop's own until it is over. */
  async exclusive<T> (claim: () => Promise<T>): Promise<T> {
    while (this.#claiming !== null) await this.#claiming
    const running = claim()
    this.#claiming = running.then(() => {}, () => {}).finally(() => {
      this.#claiming = null
      if (this.#claimAgain) this.pump() // asked for while this claim ran
    })
    return await running
  }

  /** No more wake-ups; resolves when the claim under way (if any) is over. */
  async stop (): Promise<void> {
    this.#wake.cancel()
    await this.#claiming
  }

  /**
   * Wakes at the next due time, a retry or a pause's end, or after the poll
   * interval, whichever is sooner. A due time already past is dropped: the
   * claim that reported it could not take it for want of room, and a freed
   * slot pumps anyway; waking at once for it would spin while every due
   * destination is full. A past retry still wakes once (the wake clears it).
   */
  #arm (): void {
    if (!this.#deps.active()) return
    const now = this.#deps.clock.now()
    const next = this.#deps.wakeTimes(now).filter((at) => at !== null && at > now) as number[]
    if (this.#retryAt !== null) next.push(this.#retryAt)
    this.#wake.wakeBy(Math.min(now + this.#deps.pollIntervalMs, ...next))
  }
}
