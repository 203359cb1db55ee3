/** Time as the gateway sees it. Tests inject their own; nothing reads Date.now() directly. */
export interface Clock {
  now (): number
  /**
   * Runs `fn` once `delayMs` have passed on this clock, and returns what
   * cancels it. Optional: without it, the system's timers wait. A test clock
   * that moves by hand fires its own, so a loop's wake-ups follow its time.
   */
  schedule? (fn: () => void, delayMs: number): () => void
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() })

/** Schedules on the clock's own timers, or on the system's (unref'd: a pending wake-up never keeps the process alive). */
export function scheduleOn (clock: Clock, fn: () => void, delayMs: number): () => void {
  if (clock.schedule !== undefined) return clock.schedule(fn, delayMs)
  const timer = setTimeout(fn, delayMs).unref()
  return () => clearTimeout(timer)
}

export const SECOND = 1000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
