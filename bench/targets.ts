// The targets, judged on one run's figures. Printed as PASS/MISS,
// never asserted: a miss is a finding for the gateway, not a failed bench.
import type { BenchReport } from './report.js'
import type { ServerFigures } from './measure.js'
import { summarise } from './stats.js'

export interface TargetVerdict {
  target: string
  measured: string
  verdict: 'PASS' | 'MISS' | 'n/a'
}

/** "No ingest slowdown" allows this much noise between interleaved rounds. */
export const SLOWDOWN_TOLERANCE = 0.9

export const ms = (n: number): string => Number.isFinite(n) ? n.toFixed(2) : '–'
export const times = (n: number): string => Number.isFinite(n) ? `${n.toFixed(2)}×` : '–'

export function serverByKey (report: BenchReport, key: 'a' | 'b' | 'c'): ServerFigures | undefined {
  return report.servers.find((s) => s.name.startsWith(`(${key})`))
}

/** Pooled req/s of x over y, or undefined when either did not run. */
export function throughputRatio (x: ServerFigures | undefined, y: ServerFigures | undefined): number | undefined {
  return x === undefined || y === undefined ? undefined : x.throughput.merged.requestsPerSecond / y.throughput.merged.requestsPerSecond
}

function verdict (measured: string, ok: boolean | undefined): Omit<TargetVerdict, 'target'> {
  return { measured: ok === undefined ? '–' : measured, verdict: ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS' }
}

export function evaluateTargets (report: BenchReport): TargetVerdict[] {
  const a = serverByKey(report, 'a')
  const b = serverByKey(report, 'b')
  const overB = throughputRatio(a, b)
  const overC = throughputRatio(a, serverByKey(report, 'c'))
  const fsync = report.machine.fsyncMs
  const aP99 = a?.fixedRate.merged.latency.p99Ms
  const bP99 = b?.fixedRate.merged.latency.p99Ms
  const p99Limit = bP99 === undefined ? undefined : 2 * bP99 + fsync
  // The target's "one fsync" is the idle median; shown next to it, what one fsync cost during hookgate's rounds.
  const aFsyncP99 = a === undefined ? NaN : summarise(a.fixedRate.fsyncMs).p99Ms
  const ackP50 = report.endToEnd?.fixedRate?.ackToDelivery.p50Ms
  const dead = report.deadReceiver?.ratio
  return [
    { target: 'hookgate req/s ≥ 1.0× (b) verify-only', ...verdict(times(overB ?? NaN), overB === undefined ? undefined : overB >= 1) },
    { target: 'hookgate req/s ≥ 5× (c) naive durable', ...verdict(times(overC ?? NaN), overC === undefined ? undefined : overC >= 5) },
    {
      target: `hookgate p99 at ${report.plan.fixedRatePerSecond} req/s ≤ 2 × (b) p99 + one fsync`,
      ...verdict(`${ms(aP99 ?? NaN)} ms vs ${ms(p99Limit ?? NaN)} ms (2 × ${ms(bP99 ?? NaN)} + ${ms(fsync)}); meanwhile the disk's own fsync p99 was ${ms(aFsyncP99)} ms`,
        aP99 === undefined || p99Limit === undefined ? undefined : aP99 <= p99Limit)
    },
    { target: 'ack → delivery p50 < 5 ms on loopback', ...verdict(`${ms(ackP50 ?? NaN)} ms`, ackP50 === undefined ? undefined : ackP50 < 5) },
    {
      target: `no ingest slowdown with ${report.plan.deadPendingEvents.toLocaleString('en-US')} deliveries pending to a dead receiver (≥ ${SLOWDOWN_TOLERANCE}× the same gateway without the backlog)`,
      ...verdict(times(dead ?? NaN), dead === undefined ? undefined : dead >= SLOWDOWN_TOLERANCE)
    }
  ]
}
