import { performance } from 'node:perf_hooks'
import type { Clock } from '../clock.js'
import type { DestinationConfig } from '../config/load.js'
import type { Sender } from '../destinations/sender.js'
import type { Outcome } from '../destinations/types.js'
import type { ClaimedDelivery, Store } from '../store/contract.js'
import { settlementFor } from './settlement.js'

export interface AttemptLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

/** What metrics hear of each settled attempt. */
export interface SettledAttempt {
  readonly destination: string
  readonly result: 'delivered' | 'retry' | 'dead'
  readonly durationMs: number
  /** When the event came in, and when this attempt ended. */
  readonly receivedAt: number
  readonly endedAt: number
}

export interface AttemptContext {
  readonly destination: DestinationConfig
  readonly sender: Sender
  readonly store: Pick<Store, 'settleDeliveries'>
  readonly clock: Clock
  readonly random: () => number
  readonly log: AttemptLog
  readonly observe: ((attempt: SettledAttempt) => void) | undefined
  /** Aborted by a graceful stop: the attempt is then settled to run again at once. */
  readonly signal: AbortSignal
  /**
   * Told once the exchange with the receiver is over, before the settle is
   * written: the receiver's slot can take the next delivery while the
   * bookkeeping commits (the row stays leased until then, so nothing takes it twice).
   */
  readonly onAnswered?: (health: AttemptEnd['health'], durationMs: number) => void
}

export interface AttemptEnd {
  /** False if the settle could not be written (the lease is reclaimed later). */
  readonly settled: boolean
  /** The receiver answered (a 2xx or a final 4xx), or the attempt failed in a way worth retrying. */
  readonly health: 'answer' | 'failure' | 'interrupted'
  /** When the settle made the delivery due again (a retry). */
  readonly retryAt?: number
}

/**
 * Sends one claimed delivery and settles it. Never rejects: neither a
 * throwing sender nor a throwing logger may leave a claimed row unsettled.
 */
export async function attemptDelivery (delivery: ClaimedDelivery, ctx: AttemptContext): Promise<AttemptEnd> {
  const { clock } = ctx
  const log = (level: keyof AttemptLog, obj: object, msg: string) => { try { ctx.log[level](obj, msg) } catch {} }
  const startedAt = clock.now()
  const t0 = performance.now()
  let outcome: Outcome
  try {
    outcome = await ctx.sender.send(delivery.event, ctx.signal)
  } catch (err) {
    log('error', { err, deliveryId: delivery.id }, 'sending threw (a bug); the delivery will be retried')
    outcome = { ok: false, retry: true, reason: 'internal error while sending' }
  }
  const durationMs = performance.now() - t0
  const settlement = settlementFor({
    delivery, outcome, startedAt, durationMs, now: clock.now(), policy: ctx.destination.retry, interrupted: ctx.signal.aborted, random: ctx.random
  })
  // Names and numbers only: never a header, a body or the receiver's answer.
  const facts = { deliveryId: delivery.id, eventId: delivery.event.id, destination: delivery.destination, attempt: delivery.attempt, status: settlement.statusCode, durationMs: Math.round(durationMs) }
  if (settlement.result === 'delivered') log('info', facts, 'delivered')
  else if (settlement.result === 'retry') log('warn', { ...facts, reason: settlement.error, runAt: new Date(settlement.runAt ?? 0).toISOString() }, 'delivery failed; will retry')
  else log('error', { ...facts, reason: settlement.error }, 'delivery dead: no more attempts')
  const health = ctx.signal.aborted ? 'interrupted' : outcome.ok || !outcome.retry ? 'answer' : 'failure'
  try { ctx.onAnswered?.(health, durationMs) } catch {}
  try {
    await ctx.store.settleDeliveries({ now: clock.now(), settlements: [settlement] })
  } catch (err) {
    log('error', { err, deliveryId: delivery.id }, 'settling a delivery failed; its lease is reclaimed later')
    return { settled: false, health }
  }
  try {
    ctx.observe?.({ destination: delivery.destination, result: settlement.result, durationMs, receivedAt: delivery.event.receivedAt, endedAt: startedAt + durationMs })
  } catch {}
  return settlement.result === 'retry' && settlement.runAt !== undefined ? { settled: true, health, retryAt: settlement.runAt } : { settled: true, health }
}
