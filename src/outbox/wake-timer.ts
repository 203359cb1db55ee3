import { scheduleOn, type Clock } from '../clock.js'

/** One pending wake-up on the injected clock: asking for a later one while an earlier is armed keeps the earlier. */
export class WakeTimer {
  readonly #clock: Clock
  readonly #wake: () => void
  #cancel: (() => void) | null = null
  /** Clock time the armed wake-up fires at, or null when none is armed. */
  #at: number | null = null

  constructor (clock: Clock, wake: () => void) {
    this.#clock = clock
    this.#wake = wake
  }

  /** Wakes no later than `at` (clock time). Waking early is harmless: the loop looks, finds nothing, and re-arms. */
  wakeBy (at: number): void {
    const now = this.#clock.now()
    const fireAt = Math.max(now, at)
    if (this.#at !== null && this.#at <= fireAt) return
    this.cancel()
    this.#at = fireAt
    this.#cancel = scheduleOn(this.#clock, () => {
      this.#at = null
      this.#cancel = null
      this.#wake()
    }, fireAt - now)
  }

  cancel (): void {
    this.#cancel?.()
    this.#cancel = null
    this.#at = null
  }
}
