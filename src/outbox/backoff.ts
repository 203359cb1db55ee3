import type { RetryPolicy } from '../config/load.js'

/** Each delay is stretched or shrunk by up to this fraction, so retries of one outage do not arrive in lockstep. */
export const JITTER = 0.2

/**
 * When to make the next attempt after `attempt` (1-based) has failed, or null
 * when that was the last one and the delivery is dead. `policy.scheduleMs[i]`
 * is the delay before attempt i + 1, so the schedule's length is the number
 * of attempts. A receiver's Retry-After is a floor on the delay, clamped to
 * the schedule's largest delay so a receiver cannot park a delivery for days.
 * Pure: the clock and the randomness come in as arguments.
 */
export function nextRunAt (now: number, attempt: number, policy: RetryPolicy, retryAfterMs = 0, random: () => number = Math.random): number | null {
  const base = policy.scheduleMs[attempt]
  if (base === undefined) return null
  const jittered = Math.round(base * (1 + JITTER * (2 * random() - 1)))
  const maxDelayMs = Math.max(...policy.scheduleMs)
  const floor = Math.min(Math.max(0, retryAfterMs), maxDelayMs)
  return now + Math.max(jittered, floor)
}
