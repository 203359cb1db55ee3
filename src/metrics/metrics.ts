/**
 * Every Prometheus metric hookgate exports, on a registry of its own per app
 * (tests build many apps in one process; the global registry would mix them).
 * Counters and histograms move as things happen; the queue gauges are read
 * from the store when /metrics is scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Clock } from '../clock.js'
import type { IngestBudget } from '../ingest/budget.js'
import type { OnDead, Store } from '../store/contract.js'

/** Where a source name that is not configured is counted: a scanner must not mint label values. */
export const UNKNOWN_SOURCE = '(unknown)'

export type Metrics = ReturnType<typeof createMetrics>

export interface AttemptObservation {
  readonly destination: string
  readonly result: 'delivered' | 'retry' | 'dead'
  readonly durationMs: number
  /** When the event came in, and when this attempt ended: their distance is the end-to-end latency. */
  readonly receivedAt: number
  readonly endedAt: number
}

export interface MetricsDeps {
  readonly store: Pick<Store, 'queueDepths' | 'pauseStates' | 'heldCounts'>
  readonly clock: Clock
  readonly destinations: readonly string[]
  /** The destinations that order by subject (subjectOrdering): only they have held subjects. */
  readonly ordering: Readonly<Record<string, OnDead>>
  readonly budget: Pick<IngestBudget, 'limitBytes' | 'inFlightBytes'>
}

export function createMetrics ({ store, clock, destinations, ordering, budget }: MetricsDeps) {
  const registry = new Registry()
  const registers = [registry]
  collectDefaultMetrics({ register: registry, prefix: 'hookgate_' })

  const metrics = {
    registry,
    received: new Counter({
      name: 'hookgate_webhooks_received_total',
      help: 'Webhooks received, by source and outcome: accepted, duplicate, handshake (answered by its provider, not stored), or the HG_ERR_* code of the refusal',
      labelNames: ['source', 'outcome'] as const,
      registers
    }),
    ingestSeconds: new Histogram({
      name: 'hookgate_ingest_duration_seconds',
      help: 'Time from a webhook request to its answer (verification and the durable write included)',
      labelNames: ['source'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers
    }),
    rejectionsStored: new Counter({
      name: 'hookgate_rejections_stored_total',
      help: 'Refused webhook requests kept for GET /admin/rejections',
      registers
    }),
    rejectionsSkipped: new Counter({
      name: 'hookgate_rejections_skipped_total',
      help: 'Refused webhook requests counted but not kept: rate (over the sampling budget), backlog (writes queued), error',
      labelNames: ['why'] as const,
      registers
    }),
    attempts: new Counter({
      name: 'hookgate_delivery_attempts_total',
      help: 'Delivery attempts by destination and outcome: delivered, retry (will try again), dead (gave up)',
      labelNames: ['destination', 'outcome'] as const,
      registers
    }),
    attemptSeconds: new Histogram({
      name: 'hookgate_delivery_attempt_duration_seconds',
      help: 'Duration of one delivery attempt, request to answer or error',
      labelNames: ['destination'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers
    }),
    endToEndSeconds: new Histogram({
      name: 'hookgate_delivery_end_to_end_seconds',
      help: 'Time from receiving a webhook to its delivery to a destination, retries included',
      labelNames: ['destination'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600],
      registers
    }),
    retentionDeleted: new Counter({
      name: 'hookgate_retention_deleted_total',
      help: 'Rows deleted by the retention job: events (with their deliveries and attempts), rejections, and dedup keys past their window',
      labelNames: ['kind'] as const,
      registers
    }),
    pending: new Gauge({ name: 'hookgate_deliveries_pending', help: 'Deliveries waiting to be delivered', labelNames: ['destination'] as const, registers }),
    dead: new Gauge({ name: 'hookgate_deliveries_dead', help: 'Deliveries that gave up and wait for an operator', labelNames: ['destination'] as const, registers }),
    oldestPendingSeconds: new Gauge({
      name: 'hookgate_oldest_pending_delivery_age_seconds',
      help: 'Age of the longest-waiting pending delivery (since it was queued), 0 when none waits',
      labelNames: ['destination'] as const,
      registers
    }),
    ingestInFlightBytes: new Gauge({
      name: 'hookgate_ingest_in_flight_bytes',
      help: 'Bytes verified webhooks hold while they wait for their commit (bodies plus 1 KiB each)',
      registers,
      collect () { this.set(budget.inFlightBytes) }
    }),
    ingestLimitBytes: new Gauge({
      name: 'hookgate_ingest_in_flight_limit_bytes',
      help: 'server.ingestMaxBytesInFlight: past it, webhooks are refused 503 HG_ERR_OVERLOADED',
      registers,
      collect () { this.set(budget.limitBytes) }
    }),
    paused: new Gauge({ name: 'hookgate_destination_paused', help: '1 while a destination is paused', labelNames: ['destination'] as const, registers }),
    heldSubjects: new Gauge({ name: 'hookgate_held_subjects', help: 'Subjects held behind a failed (or, with onDead: block, dead) head at a destination with ordering: subject', labelNames: ['destination'] as const, registers }),
    heldDeliveries: new Gauge({ name: 'hookgate_held_deliveries', help: 'Deliveries waiting behind the heads of held subjects', labelNames: ['destination'] as const, registers })
  }

  /** Reads the queue gauges from the store, then renders every metric in the text format. */
  async function scrape (): Promise<string> {
    const [depths, states, held] = await Promise.all([store.queueDepths(), store.pauseStates(), store.heldCounts({ ordering })])
    const paused = new Map(states.map((s) => [s.name, s.paused]))
    const now = clock.now()
    for (const gauge of [metrics.pending, metrics.dead, metrics.oldestPendingSeconds, metrics.paused]) gauge.reset()
    for (const destination of new Set([...destinations, ...depths.keys()])) {
      const depth = depths.get(destination)
      metrics.pending.set({ destination }, depth?.pending ?? 0)
      metrics.dead.set({ destination }, depth?.dead ?? 0)
      const since = depth?.oldestPendingSince ?? null
      metrics.oldestPendingSeconds.set({ destination }, since === null ? 0 : Math.max(0, (now - since) / 1000))
      metrics.paused.set({ destination }, paused.get(destination) === true ? 1 : 0)
    }
    for (const destination of Object.keys(ordering)) {
      metrics.heldSubjects.set({ destination }, held.get(destination)?.subjects ?? 0)
      metrics.heldDeliveries.set({ destination }, held.get(destination)?.waiting ?? 0)
    }
    return registry.metrics()
  }

  /** Called by the dispatcher once per settled attempt. */
  function observeAttempt (attempt: AttemptObservation): void {
    const { destination } = attempt
    metrics.attempts.inc({ destination, outcome: attempt.result })
    metrics.attemptSeconds.observe({ destination }, attempt.durationMs / 1000)
    if (attempt.result === 'delivered') metrics.endToEndSeconds.observe({ destination }, Math.max(0, attempt.endedAt - attempt.receivedAt) / 1000)
  }

  return { ...metrics, scrape, observeAttempt }
}
