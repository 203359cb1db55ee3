// The targets, judged on one run's figures. Printed as PASS/MISS,
// never asserted: a miss is a finding for the gateway, not a failed bench.
import { cpuUse, type CpuSample } from './cpu.js'
import type { BenchReport } from './report.js'
import { SUSTAINED_P99_MS } from './sustained.js'
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
export const int = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'
export const mib = (n: number): string => Number.isFinite(n) ? n.toFixed(0) : '–'
export const times = (n: number): string => Number.isFinite(n) ? `${n.toFixed(2)}×` : '–'

export function serverByKey (report: BenchReport, key: 'a' | 'b' | 'c'): ServerFigures | undefined {
  return report.servers.find((s) => s.name.startsWith(`(${key})`))
}

/** Pooled req/s of x over y, or undefined when either did not run. */
export function throughputRatio (x: ServerFigures | undefined, y: ServerFigures | undefined): number | undefined {
  return x === undefined || y === undefined ? undefined : x.throughput.merged.requestsPerSecond / y.throughput.merged.requestsPerSecond
}

/** The CPU one delivery costs: the gateway with one destination against the same gateway without, at the same load, per event, by thread. */
export interface DeliveryCpu {
  /** µs of gateway CPU per event beyond ingest without destinations: event loop, busiest other thread (the writer), rest. */
  total: number
  main: number
  busiestOther: number
  rest: number
}

/** withDestination − withoutDestination, per event (each event ingested once and delivered once). */
export function deliveryCpu (withDestination: CpuSample, withoutDestination: CpuSample): DeliveryCpu {
  const a = cpuUse(withDestination).perRequestUs
  const b = cpuUse(withoutDestination).perRequestUs
  return { total: a.total - b.total, main: a.main - b.main, busiestOther: a.busiestOther - b.busiestOther, rest: a.rest - b.rest }
}

/** At full load (closed loop against hookgate without destinations) and at the steady rate (against its steady-rate rounds). */
export function deliveryCpuFigures (report: BenchReport): { fullLoad?: DeliveryCpu, fixedRate?: DeliveryCpu } {
  const plain = serverByKey(report, 'a')
  const e = report.endToEnd
  if (plain === undefined || e === undefined) return {}
  return {
    ...(e.fullLoad === undefined ? {} : { fullLoad: deliveryCpu(e.fullLoad.cpu, plain.throughput.cpu) }),
    ...(e.fixedRate === undefined ? {} : { fixedRate: deliveryCpu(e.fixedRate.cpu, plain.fixedRate.cpu) })
  }
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
    ...endToEndTargets(report),
    {
      target: `no ingest slowdown with ${report.plan.deadPendingEvents.toLocaleString('en-US')} deliveries pending to a dead receiver (≥ ${SLOWDOWN_TOLERANCE}× the same gateway without the backlog)`,
      ...verdict(times(dead ?? NaN), dead === undefined ? undefined : dead >= SLOWDOWN_TOLERANCE)
    }
  ]
}

/** Issue 17: forwarding keeps pace with ingest. */
function endToEndTargets (report: BenchReport): TargetVerdict[] {
  const e = report.endToEnd
  const s = e?.sustained
  const h = s?.half
  const f = e?.fullLoad
  const ratio = s === undefined ? undefined : (s.rate ?? 0) / s.verifyOnlyRequestsPerSecond
  const balance = f === undefined ? undefined : f.deliveredPerSecondDuringLoad / f.ingest.requestsPerSecond
  const cpu = deliveryCpuFigures(report).fullLoad?.total
  const b = serverByKey(report, 'b')
  const verifyCpu = b === undefined ? undefined : cpuUse(b.throughput.cpu).perRequestUs.total
  const window = report.plan.halfRateWindowSeconds
  return [
    {
      target: `sustained end-to-end rate (ack → delivery p99 < ${SUSTAINED_P99_MS} ms for ${report.plan.sustainedHoldSeconds} s) ≥ 0.4× (b) verify-only req/s`,
      ...verdict(`${s?.rate ?? 'none'} events/s = ${times(ratio ?? NaN)}`, ratio === undefined ? undefined : ratio >= 0.4)
    },
    {
      target: 'at half the sustained rate: ack → delivery p50 ≤ 5 ms, p99 ≤ 50 ms',
      ...verdict(`${int(h?.rate ?? NaN)}/s: p50 ${ms(h?.latency.p50Ms ?? NaN)} ms, p99 ${ms(h?.latency.p99Ms ?? NaN)} ms`, h === undefined ? undefined : h.latency.p50Ms <= 5 && h.latency.p99Ms <= 50)
    },
    {
      target: `at half the sustained rate: p99 of the last ${window} s ≤ p99 of the first ${window} s`,
      ...verdict(`${ms(h?.lastWindowP99Ms ?? NaN)} ms vs ${ms(h?.firstWindowP99Ms ?? NaN)} ms`, h === undefined ? undefined : h.lastWindowP99Ms <= h.firstWindowP99Ms)
    },
    {
      target: 'at full load: events delivered/s during the load ≥ 0.9× events ingested/s',
      ...verdict(`${times(balance ?? NaN)} (${int(f?.deliveredPerSecondDuringLoad ?? NaN)} of ${int(f?.ingest.requestsPerSecond ?? NaN)}/s)`, balance === undefined ? undefined : balance >= 0.9)
    },
    {
      target: 'CPU per delivered event (full load) ≤ (b) verify-only CPU per request',
      ...verdict(`${cpu?.toFixed(0) ?? '–'} µs vs ${verifyCpu?.toFixed(0) ?? '–'} µs`, cpu === undefined || verifyCpu === undefined ? undefined : cpu <= verifyCpu)
    }
  ]
}
