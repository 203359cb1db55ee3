import type { RetryPolicy } from '../config/load.js'
import type { Outcome } from '../destinations/types.js'
import type { ClaimedDelivery, Settlement } from '../store/contract.js'
import { nextRunAt } from './backoff.js'

export interface AttemptFacts {
  readonly delivery: ClaimedDelivery
  readonly outcome: Outcome
  readonly startedAt: number
  readonly durationMs: number
  /** Now, when the attempt ended. */
  readonly now: number
  readonly policy: RetryPolicy
  /** The gateway cut it short to stop: run it again at once, whatever the schedule. */
  readonly interrupted: boolean
  readonly random: () => number
}

/** What an attempt's outcome does to its delivery: done, again at some time, or dead. Pure. */
export function settlementFor (facts: AttemptFacts): Settlement {
  const { delivery, outcome, now } = facts
  const base = {
    id: delivery.id,
    attempt: delivery.attempt,
    startedAt: facts.startedAt,
    durationMs: facts.durationMs,
    statusCode: outcome.status ?? null,
    response: outcome.response ?? null
  }
  if (outcome.ok) return { ...base, result: 'delivered', error: null }
  if (facts.interrupted) return { ...base, result: 'retry', runAt: now, error: 'interrupted: the gateway was stopping' }
  if (!outcome.retry) return { ...base, result: 'dead', error: outcome.reason }
  const runAt = nextRunAt(now, delivery.attempt, facts.policy, outcome.retryAfterMs ?? 0, facts.random)
  if (runAt === null) return { ...base, result: 'dead', error: `${outcome.reason} (attempt ${delivery.attempt}, the last)` }
  return { ...base, result: 'retry', runAt, error: outcome.reason }
}
