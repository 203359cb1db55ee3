// Renders the figures as bench/results/latest.md, with PASS/MISS per target.
// The targets are printed, never asserted: a miss is a finding, not a failure.
import type { DeadReceiverFigures, EndToEndFigures } from './e2e.js'
import type { LoadResult } from './load.js'
import type { Machine } from './machine.js'
import type { CpuUse, ServerFigures } from './measure.js'
import type { Plan } from './plan.js'
import type { Memory } from './server-process.js'

export interface BenchReport {
  command: string
  date: string
  durationSeconds: number
  /** 1-minute load average before and after: anything else running skews the figures. */
  loadAverage: { before: number, after: number }
  machine: Machine
  plan: Plan
  clerkBodyBytes: number
  buildError: string | null
  servers: ServerFigures[]
  chaindoc: { result: LoadResult, memory: Memory } | undefined
  endToEnd: EndToEndFigures | undefined
  deadReceiver: DeadReceiverFigures | undefined
  skipped: string[]
}

export interface TargetVerdict {
  target: string
  measured: string
  verdict: 'PASS' | 'MISS' | 'n/a'
}

/** "No ingest slowdown" allows this much run-to-run noise. */
export const SLOWDOWN_TOLERANCE = 0.9

const ms = (n: number): string => Number.isFinite(n) ? n.toFixed(2) : '–'
const int = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'
const mib = (n: number): string => Number.isFinite(n) ? n.toFixed(0) : '–'
const times = (n: number): string => Number.isFinite(n) ? `${n.toFixed(2)}×` : '–'
const verdictOf = (ok: boolean | undefined): TargetVerdict['verdict'] => ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS'

function byKey (report: BenchReport, key: 'a' | 'b' | 'c'): ServerFigures | undefined {
  return report.servers.find((s) => s.name.startsWith(`(${key})`))
}

export function evaluateTargets (report: BenchReport): TargetVerdict[] {
  const a = byKey(report, 'a')
  const b = byKey(report, 'b')
  const c = byKey(report, 'c')
  const fsync = report.machine.fsyncMs
  const both = <T>(x: T | undefined, y: T | undefined): [T, T] | undefined => x !== undefined && y !== undefined ? [x, y] : undefined
  const ab = both(a, b)
  const ac = both(a, c)
  const overB = ab && ab[0].throughput.requestsPerSecond / ab[1].throughput.requestsPerSecond
  const overC = ac && ac[0].throughput.requestsPerSecond / ac[1].throughput.requestsPerSecond
  const p99Limit = b && 2 * b.fixedRate.latency.p99Ms + fsync
  const ackP50 = report.endToEnd?.fixedRate?.ackToDelivery.p50Ms
  const dead = report.deadReceiver?.ratio
  return [
    { target: 'hookgate req/s ≥ 1.0× (b) verify-only', measured: overB === undefined ? '–' : times(overB), verdict: verdictOf(overB === undefined ? undefined : overB >= 1.0) },
    { target: 'hookgate req/s ≥ 5× (c) naive durable', measured: overC === undefined ? '–' : times(overC), verdict: verdictOf(overC === undefined ? undefined : overC >= 5) },
    {
      target: `p99 at ${report.plan.fixedRatePerSecond} req/s ≤ 2 × (b) p99 + one fsync`,
      measured: a === undefined || p99Limit === undefined ? '–' : `${ms(a.fixedRate.latency.p99Ms)} ms vs ${ms(p99Limit)} ms (2 × ${ms(b?.fixedRate.latency.p99Ms ?? NaN)} + ${ms(fsync)})`,
      verdict: verdictOf(a === undefined || p99Limit === undefined ? undefined : a.fixedRate.latency.p99Ms <= p99Limit)
    },
    { target: 'ack → delivery p50 < 5 ms on loopback', measured: ackP50 === undefined ? '–' : `${ms(ackP50)} ms`, verdict: verdictOf(ackP50 === undefined ? undefined : ackP50 < 5) },
    {
      target: `no ingest slowdown with ${int(report.plan.deadPendingEvents)} deliveries pending to a dead receiver (≥ ${SLOWDOWN_TOLERANCE}× the run without destinations)`,
      measured: dead === undefined ? '–' : times(dead),
      verdict: verdictOf(dead === undefined ? undefined : dead >= SLOWDOWN_TOLERANCE)
    }
  ]
}

function cpuPerRequest ({ perRequestUs: u }: CpuUse): string {
  const split = u.busiestOther > 0.1 * u.total ? ` (${u.main.toFixed(0)} + ${u.busiestOther.toFixed(0)} + ${u.rest.toFixed(0)})` : ''
  return `${u.total.toFixed(0)}${split}`
}

function throughputRows (report: BenchReport): string[] {
  return report.servers.map((s) => {
    const t = s.throughput
    const c = s.throughputCpu
    return `| ${s.name} | ${int(t.requestsPerSecond)} | ${ms(t.latency.p50Ms)} / ${ms(t.latency.p99Ms)} | ${t.non2xx + t.errors} | ${cpuPerRequest(c)} | ${c.server.toFixed(0)} / ${c.others.toFixed(0)} / ${c.loadGenerator.toFixed(0)} / ${c.othersOnLoadCore.toFixed(0)} |`
  })
}

function fixedRateRows (report: BenchReport): string[] {
  return report.servers.map((s) => {
    const f = s.fixedRate
    const notSent = f.notSent > 0 ? ` (${int(f.notSent)} not sent: over 2 s behind)` : ''
    return `| ${s.name} | ${ms(f.latency.p50Ms)} | ${ms(f.latency.p99Ms)} | ${f.non2xx + f.errors}${notSent} | ${s.fixedRateCpu.others.toFixed(0)} | ${mib(s.afterThroughput.rssMiB)} | ${mib(Math.max(s.afterThroughput.peakMiB, s.afterFixedRate.peakMiB))} |`
  })
}

function endToEndLines (report: BenchReport): string[] {
  const e = report.endToEnd
  if (e === undefined) return ['Not run: hookgate did not build.']
  if (e.skipped !== undefined) return [`Skipped: ${e.skipped}`]
  const lines: string[] = []
  const { plan } = report
  if (e.fixedRate !== undefined) {
    const { ackToDelivery: d, ingest, undelivered } = e.fixedRate
    lines.push(`- At ${plan.fixedRatePerSecond} req/s for ${plan.e2eRateSeconds} s (${int(ingest.ok)} acknowledged, non-2xx ${ingest.non2xx + ingest.errors}): acknowledgement → delivery **p50 ${ms(d.p50Ms)} ms, p99 ${ms(d.p99Ms)} ms** (max ${ms(d.maxMs)} ms); undelivered after 15 s: ${undelivered}.`)
  }
  if (e.fullLoad !== undefined) {
    const f = e.fullLoad
    lines.push(`- At full load (${plan.connections} connections, ${plan.e2eLoadSeconds} s): ingest ${int(f.ingest.requestsPerSecond)} req/s; **${int(f.deliveredPerSecondDuringLoad)} events/s delivered** while ingesting, ${int(f.deliveredPerSecondOverall)} events/s from the first request to the last delivery; backlog drained ${f.drainSeconds.toFixed(1)} s after the load stopped; undelivered after 30 s: ${f.undelivered}.`)
  }
  if (e.memory !== undefined) lines.push(`- hookgate RSS after: ${mib(e.memory.rssMiB)} MiB (peak ${mib(e.memory.peakMiB)} MiB).`)
  return lines
}

function deadReceiverLines (report: BenchReport): string[] {
  const d = report.deadReceiver
  const plain = byKey(report, 'a')
  if (d === undefined) return ['Not run: hookgate did not build.']
  if (d.skipped !== undefined) return [`Skipped: ${d.skipped}`]
  if (d.ingest === undefined) return []
  return [
    `- ${int(report.plan.deadPendingEvents)} events ingested first for a destination on a closed port (pending deliveries then: ${d.pendingBefore ?? 'not readable'}).`,
    `- Ingest then: ${int(d.ingest.requestsPerSecond)} req/s at ${report.plan.connections} connections (non-2xx ${d.ingest.non2xx + d.ingest.errors}; CPU % server / others on its core: ${d.cpu?.server.toFixed(0) ?? '–'} / ${d.cpu?.others.toFixed(0) ?? '–'}) vs ${int(d.plainRequestsPerSecond)} req/s without destinations: **${times(d.ratio ?? NaN)}**. RSS after ${mib(d.memory?.rssMiB ?? NaN)} MiB.`,
    `- Server CPU per request: ${d.cpu === undefined ? '–' : cpuPerRequest(d.cpu)} µs here vs ${plain === undefined ? '–' : cpuPerRequest(plain.throughputCpu)} µs without destinations (main + busiest other thread + rest). Each event here also writes its delivery row, in the same transaction.`
  ]
}

/** Past this share of the server's core taken by anything else, a phase is not trustworthy. */
const CROWDED_PERCENT = 10

function crowdedWarning (report: BenchReport): string[] {
  const worst = Math.max(...report.servers
    .flatMap((s) => [s.throughputCpu.others, s.fixedRateCpu.others, s.throughputCpu.othersOnLoadCore, s.fixedRateCpu.othersOnLoadCore])
    .filter(Number.isFinite), 0)
  return worst > CROWDED_PERCENT ? [`- **Not a quiet machine**: other work took up to ${worst.toFixed(0)}% of a core (server's or load generator's) during a measured phase; do not quote these figures.`] : []
}

export function renderReport (report: BenchReport): string {
  const { machine: m, plan } = report
  const a = byKey(report, 'a')
  const b = byKey(report, 'b')
  const c = byKey(report, 'c')
  const ratio = (x: ServerFigures | undefined, y: ServerFigures | undefined): string =>
    x !== undefined && y !== undefined ? times(x.throughput.requestsPerSecond / y.throughput.requestsPerSecond) : '–'
  const lines = [
    '# hookgate benchmark',
    '',
    `- Command: \`${report.command}\` (after \`npm ci\`), ${report.date}, took ${report.durationSeconds.toFixed(0)} s.`,
    `- Machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}.`,
    `- Pinning: ${m.pinned ? 'each server on core 0, load generator and receiver on core 1 (taskset)' : 'none (taskset unavailable or one core): figures are less stable'}.`,
    `- Load average (1 min) before the run ${report.loadAverage.before.toFixed(2)}, after ${report.loadAverage.after.toFixed(2)}${report.loadAverage.before > 0.5 ? ': something else was running, treat the figures with care' : ''}.`,
    `- Databases in a fresh temp directory on ${m.dbFilesystem}; one fdatasync there takes ${ms(m.fsyncMs)} ms (median of 200).`,
    ...(report.buildError === null ? [] : [`- tsc reported errors; the run used what it emitted: \`${report.buildError.split('\n')[0] ?? ''}\``]),
    ...crowdedWarning(report),
    ...report.skipped.map((s) => `- Skipped: ${s}`),
    '',
    `## Ingest: the same unique, validly signed Clerk \`user.created\` requests (${report.clerkBodyBytes} B bodies) to each server`,
    '',
    `At ${plan.connections} connections (closed loop, ${plan.throughputSeconds} s):`,
    '',
    '| server | req/s | p50 / p99 ms | non-2xx + errors | server CPU µs per request (main + busiest other thread + rest) | CPU %: server / others on its core / load generator / others on the load core |',
    '|---|---:|---:|---:|---:|---:|',
    ...throughputRows(report),
    '',
    `At a steady ${plan.fixedRatePerSecond} req/s (open loop, ${plan.fixedRateSeconds} s), and memory:`,
    '',
    '| server | p50 ms | p99 ms | non-2xx + errors | CPU % of others on the server core | RSS MiB after the 50-connection phase | peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...fixedRateRows(report),
    '',
    `Ratios (req/s, same run): **hookgate / (b) = ${ratio(a, b)}**, **hookgate / (c) = ${ratio(a, c)}**.`,
    ...(report.chaindoc === undefined
      ? []
      : ['', `Chaindoc envelopes on hookgate (\`x-chaindoc-signature: v1=…\`): ${int(report.chaindoc.result.requestsPerSecond)} req/s at ${plan.connections} connections, non-2xx + errors ${report.chaindoc.result.non2xx + report.chaindoc.result.errors}.`]),
    '',
    '## End to end: hookgate → a receiver on 127.0.0.1 (CloudEvents)',
    '',
    ...endToEndLines(report),
    '',
    '## Ingest while deliveries are pending to a dead receiver',
    '',
    ...deadReceiverLines(report),
    '',
    '## Targets',
    '',
    '| target | measured | |',
    '|---|---|---|',
    ...evaluateTargets(report).map((t) => `| ${t.target} | ${t.measured} | ${t.verdict} |`),
    '',
    '## How it was measured',
    '',
    `- (a) hookgate from its build (\`node dist/src/main.js start\`, \`logging.level: warn\`); (b) Fastify + svix \`Webhook.verify\` on the raw body, storing nothing; (c) the same plus one better-sqlite3 INSERT per request, WAL, \`synchronous=FULL\`. Sources in bench/servers/.`,
    `- Requests are signed with svix's \`Webhook.sign\` before each phase (never during it), each with a fresh svix-id and user id; every server gets the same ids and bodies.`,
    `- Each server: ${plan.warmupSeconds} s warm-up, then ${plan.throughputSeconds} s of autocannon at ${plan.connections} connections (closed loop), then ${plan.fixedRateSeconds} s at a steady ${plan.fixedRatePerSecond} req/s from an open-loop sender, each request timed from when it was due (autocannon's rate limit sends each second's quota in a burst, so it is not used for this). Latencies are exact percentiles of every answer.`,
    '- RSS from /proc/<pid>/status (VmRSS after the 50-connection phase; VmHWM is the peak); CPU over the 50-connection phase: the server\'s threads from /proc/<pid>/task/*/stat, and anything else on either core from /proc/stat (100% = the whole core; "others" should be near 0 on a quiet machine).',
    '- Ack → delivery: the time the receiver got the event minus the time the client got its 200, matched by the gateway event id; both processes read the same clock (performance.timeOrigin + performance.now()).',
    ''
  ]
  return lines.join('\n')
}
