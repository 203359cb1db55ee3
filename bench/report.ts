// Renders one run as bench/results/latest.md: the machine, the figures, the
// targets (bench/targets.ts) and how they were measured.
import { cpuUse, type CpuSample } from './cpu.js'
import type { DeadReceiverFigures } from './dead-receiver.js'
import type { EndToEndFigures } from './e2e.js'
import { endToEndLines } from './report-e2e.js'
import type { LoadResult } from './load.js'
import type { OrderingFigures } from './ordering.js'
import { orderingLines, orderingTarget } from './report-ordering.js'
import type { Machine } from './machine.js'
import type { ServerFigures } from './measure.js'
import type { Plan } from './plan.js'
import { POSTGRES_NAMES, type PostgresFigures } from './postgres.js'
import { replicaLines } from './postgres-replicas.js'
import type { Memory } from './server-process.js'
import { summarise } from './stats.js'
import { evaluateTargets, int, mib, ms, serverByKey, throughputRatio, times } from './targets.js'

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
  ordering?: OrderingFigures | undefined
  postgres?: PostgresFigures | undefined
  skipped: string[]
}

/** Past this share of a core used by other processes, a phase is not trustworthy. */
const CROWDED_PERCENT = 10

const range = (values: number[]): string => values.length < 2 ? '' : ` (${int(Math.min(...values))}–${int(Math.max(...values))})`

/** "74 (47 + 24 + 2)": total µs, then event loop + busiest other thread + rest when another thread matters. */
function cpuPerRequest (sample: CpuSample): string {
  const u = cpuUse(sample).perRequestUs
  const split = u.busiestOther > 0.1 * u.total ? ` (${u.main.toFixed(0)} + ${u.busiestOther.toFixed(0)} + ${u.rest.toFixed(0)})` : ''
  return `${u.total.toFixed(0)}${split}`
}

function throughputRows (report: Pick<BenchReport, 'servers'>): string[] {
  return report.servers.map(({ name, throughput: { merged: t, rounds, cpu } }) => {
    const c = cpuUse(cpu)
    return `| ${name} | ${int(t.requestsPerSecond)}${range(rounds.map((r) => r.requestsPerSecond))} | ${ms(t.latency.p50Ms)} / ${ms(t.latency.p99Ms)} | ${t.non2xx + t.errors} | ${cpuPerRequest(cpu)} | ${c.server.toFixed(0)} / ${c.loadGenerator.toFixed(0)} / ${c.foreign.toFixed(0)} |`
  })
}

function fixedRateRows (report: Pick<BenchReport, 'servers'>): string[] {
  return report.servers.map(({ name, fixedRate: { merged: f, cpu, fsyncMs }, memory }) => {
    const notSent = f.notSent > 0 ? ` (${int(f.notSent)} not sent: over 2 s behind)` : ''
    const fsync = summarise(fsyncMs)
    return `| ${name} | ${ms(f.latency.p50Ms)} | ${ms(f.latency.p99Ms)} | ${f.non2xx + f.errors}${notSent} | ${ms(summarise(f.sendLagMs).p99Ms)} | ${ms(fsync.p50Ms)} / ${ms(fsync.p99Ms)} / ${ms(fsync.maxMs)} | ${cpuUse(cpu).foreign.toFixed(0)} | ${mib(memory.rssMiB)} | ${mib(memory.peakMiB)} |`
  })
}

function ratioLine (report: BenchReport): string {
  const a = serverByKey(report, 'a')
  const perRound = (y: ServerFigures | undefined): string => {
    if (a === undefined || y === undefined) return ''
    const ratios = a.throughput.rounds.map((r, i) => r.requestsPerSecond / (y.throughput.rounds[i]?.requestsPerSecond ?? NaN))
    return ratios.length < 2 ? '' : ` (rounds ${ratios.map((r) => r.toFixed(2)).join(', ')})`
  }
  const b = serverByKey(report, 'b')
  const c = serverByKey(report, 'c')
  return `Ratios (req/s, same run): **hookgate / (b) = ${times(throughputRatio(a, b) ?? NaN)}**${perRound(b)}, **hookgate / (c) = ${times(throughputRatio(a, c) ?? NaN)}**${perRound(c)}.`
}

function deadReceiverLines (report: BenchReport): string[] {
  const { deadReceiver: d, plan } = report
  if (d === undefined) return [report.command.includes('--e2e-only') ? 'Not run (--e2e-only).' : 'Not run: hookgate did not build.']
  if (d.skipped !== undefined) return [`Skipped: ${d.skipped}`]
  if (d.dead === undefined || d.plain === undefined || d.control === undefined) return []
  const { dead, control, plain } = d
  const figures = (p: { load: { requestsPerSecond: number, non2xx: number, errors: number } }): string =>
    `${int(p.load.requestsPerSecond)} req/s (non-2xx + errors ${p.load.non2xx + p.load.errors})`
  return [
    `- Two gateways forward every event to a closed port (connection refused). The first got ${int(plan.deadPendingEvents)} events first (pending deliveries then: ${d.pendingBefore ?? 'not readable'}); the control only a warm-up (pending: ${d.controlPendingBefore ?? 'not readable'}). Then ${plan.rounds} rounds of ${plan.throughputSeconds} s at ${plan.connections} connections, interleaved with each other and the hookgate above (no destinations). Every round adds to both backlogs.`,
    `- Ingest with the backlog: **${figures(dead)} vs ${figures(control)} for the control = ${times(d.ratio ?? NaN)}**; RSS after ${mib(d.memory?.rssMiB ?? NaN)} MiB; CPU % of other processes ${cpuUse(dead.cpu).foreign.toFixed(0)}.`,
    `- Against the hookgate without destinations (${figures(plain)}): ${times(d.ratioPlain ?? NaN)}. That gap is the cost of having a destination at all: each event also writes its delivery row, in the same transaction.`,
    `- Server CPU µs per request (event loop + busiest other thread + rest): backlog ${cpuPerRequest(dead.cpu)}, control ${cpuPerRequest(control.cpu)}, no destinations ${cpuPerRequest(plain.cpu)}.`
  ]
}

function crowdedWarning (report: BenchReport): string[] {
  const samples = report.servers.flatMap((s) => [s.throughput.cpu, s.fixedRate.cpu])
  const worst = Math.max(0, ...samples.map((s) => cpuUse(s).foreign).filter(Number.isFinite))
  return worst > CROWDED_PERCENT ? [`- **Not a quiet machine**: other processes used up to ${worst.toFixed(0)}% of a core over a measured phase; do not quote these figures.`] : []
}

function machineLines ({ machine: m, ...report }: BenchReport): string[] {
  return [
    `- Command: \`${report.command}\` (after \`npm ci\`), ${report.date}, took ${report.durationSeconds.toFixed(0)} s.`,
    `- Machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}.`,
    `- Pinning: ${m.pinned ? 'every server on core 0; load generator and receiver on core 1 (taskset)' : 'none (taskset unavailable or one core): figures are less stable'}.`,
    `- Load average (1 min) before the run ${report.loadAverage.before.toFixed(2)}, after ${report.loadAverage.after.toFixed(2)}.`,
    `- Databases in a fresh temp directory on ${m.dbFilesystem}; one fdatasync there takes ${ms(m.fsyncMs)} ms (median of 200).`
  ]
}

/** The PostgreSQL round: the same two tables for its three servers, and the ratios issue 14 sets targets for. */
function postgresLines (report: BenchReport): string[] {
  const servers = report.postgres?.servers ?? []
  if (servers.length === 0) return [`- Not run: ${report.postgres?.skipped ?? 'no PostgreSQL round in this run'}.`]
  const named = (name: string) => servers.find((s) => s.name === name)
  const [pg, sqlite, naive] = [named(POSTGRES_NAMES.hookgate), named(POSTGRES_NAMES.sqlite), named(POSTGRES_NAMES.naive)]
  const rps = (s: ServerFigures | undefined) => s?.throughput.merged.requestsPerSecond ?? NaN
  const p50 = (s: ServerFigures | undefined) => s?.fixedRate.merged.latency.p50Ms ?? NaN
  return [
    `One gateway of each, on the same requests as each other (not those above), in ${report.plan.rounds} interleaved rounds. PostgreSQL ${report.postgres?.version ?? ''} runs on this machine, unpinned, fsync and synchronous_commit on; its CPU is not in the servers' figures.`,
    '',
    '| server | req/s | p50 / p99 ms | non-2xx + errors | server CPU µs per request (event loop + busiest other thread + rest) | CPU %: server / load generator / other processes |',
    '|---|---:|---:|---:|---:|---:|',
    ...throughputRows({ servers }),
    '',
    '| server | p50 ms | p99 ms | non-2xx + errors | sender lag p99 ms | fsync p50 / p99 / max ms meanwhile | CPU % of other processes | RSS MiB after its rounds | peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...fixedRateRows({ servers }),
    '',
    `- hookgate on PostgreSQL against the naive PostgreSQL handler: **${times(rps(pg) / rps(naive))}** the requests per second (target ≥ 2×); at ${report.plan.fixedRatePerSecond} req/s, p50 ${ms(p50(pg))} vs ${ms(p50(naive))} ms.`,
    `- hookgate on PostgreSQL against hookgate on SQLite: **${times(rps(pg) / rps(sqlite))}** (target ≥ 0.5×); at ${report.plan.fixedRatePerSecond} req/s, p50 ${ms(p50(pg))} vs ${ms(p50(sqlite))} ms.`,
    ...replicaLines(report.postgres?.replicas)
  ]
}

export function renderReport (report: BenchReport): string {
  const { plan } = report
  return [
    '# hookgate benchmark',
    '',
    ...machineLines(report),
    ...(report.buildError === null ? [] : [`- The build reported errors; the run used what it emitted: \`${report.buildError.split('\n')[0] ?? ''}\``]),
    ...crowdedWarning(report),
    ...report.skipped.map((s) => `- Skipped: ${s}`),
    '',
    `## Ingest: the same unique, validly signed Clerk \`user.created\` requests (${report.clerkBodyBytes} B bodies) to each server`,
    '',
    `At ${plan.connections} connections (closed loop; ${plan.rounds} interleaved rounds of ${plan.throughputSeconds} s per server, pooled; range over rounds in brackets):`,
    '',
    '| server | req/s | p50 / p99 ms | non-2xx + errors | server CPU µs per request (event loop + busiest other thread + rest) | CPU %: server / load generator / other processes |',
    '|---|---:|---:|---:|---:|---:|',
    ...throughputRows(report),
    '',
    `At a steady ${plan.fixedRatePerSecond} req/s (open loop; ${plan.rounds} interleaved rounds of ${plan.fixedRateSeconds} s, pooled), and memory:`,
    '',
    '| server | p50 ms | p99 ms | non-2xx + errors | sender lag p99 ms | fsync p50 / p99 / max ms meanwhile | CPU % of other processes | RSS MiB after its rounds | peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...fixedRateRows(report),
    '',
    ratioLine(report),
    ...(report.chaindoc === undefined
      ? []
      : ['', `Chaindoc envelopes on hookgate (\`x-chaindoc-signature: v1=…\`): ${int(report.chaindoc.result.requestsPerSecond)} req/s at ${plan.connections} connections for ${plan.chaindocSeconds} s, non-2xx + errors ${report.chaindoc.result.non2xx + report.chaindoc.result.errors}.`]),
    '',
    '## End to end: hookgate → a receiver on 127.0.0.1 (CloudEvents)',
    '',
    ...endToEndLines(report),
    '',
    '## Ordered delivery per subject (issue 16)',
    '',
    ...orderingLines(report.ordering),
    '',
    '## Ingest while deliveries are pending to a dead receiver',
    '',
    ...deadReceiverLines(report),
    '',
    '## One gateway on PostgreSQL (issue 14)',
    '',
    ...postgresLines(report),
    '',
    '## Targets',
    '',
    '| target | measured | |',
    '|---|---|---|',
    ...[...evaluateTargets(report), orderingTarget(report.ordering)].map((t) => `| ${t.target} | ${t.measured} | ${t.verdict} |`),
    '',
    '## How it was measured',
    '',
    '- (a) hookgate from its build (`node dist/src/main.js start`, `logging.level: warn`); (b) Fastify + svix `Webhook.verify` on the raw body, storing nothing; (c) the same plus one better-sqlite3 INSERT per request, WAL, `synchronous=FULL`. Sources in bench/servers/.',
    "- Requests are signed with svix's `Webhook.sign` before each round (never during it), each with a fresh svix-id and user id; every server walks the same list of ids and bodies.",
    `- All three servers run at once, idle but for the one being measured; after a ${plan.warmupSeconds} s warm-up each, they are measured in interleaved rounds (a, b, c, a, b, c…) so that a slow minute on the host does not land on one server only. Closed loop: autocannon, ${plan.connections} connections. Steady rate: an open-loop sender, each request timed from when it was due (autocannon's rate limit sends each second's quota in a burst, so it is not used for this). Latencies are exact percentiles over every answer. "Sender lag" is how late the sender itself wrote requests (its own GC or time slice); it is inside the latency, so a large one means the figure is partly the load generator's. "fsync meanwhile": the bench itself overwrites 4 KiB and fdatasyncs it every 20 ms on the databases' file system during each server's steady-rate rounds; a durable server's tail cannot be shorter than the disk's.`,
    '- Server CPU from /proc/<pid>/task/*/stat (every thread; 100% = the whole pinned core). "Other processes": the CPU of every process that is not the bench (other work, kernel threads) from /proc/*/stat, near 0 on a quiet machine. RSS from /proc/<pid>/status: VmRSS, and VmHWM for the peak.',
    '- Ack → delivery: the time the receiver got the event minus the time the client got its 200, matched by the gateway event id; both processes read the same clock (performance.timeOrigin + performance.now()).',
    `- Sustained rate (bench/sustained.ts): paced probes of ${plan.sustainedProbeSeconds} s at 0.05, 0.1, 0.2, … × (b)'s req/s until one fails (ack → delivery p99 ≥ 100 ms, request → ack p99 ≥ 1 s, a request refused or not sent, an event undelivered), one probe between the last pass and the first failure, then the passing rates held for ${plan.sustainedHoldSeconds} s each from the top down until one holds, and one more hold halfway to the lowest that did not; every probe waits for its deliveries, so none inherits another's backlog. CPU per delivered event: the end-to-end gateway's CPU from the first request to the last delivery, per event, minus the CPU per request of the gateway without destinations in the same regime (its closed-loop rounds, or its steady-rate rounds), thread by thread.`,
    ''
  ].join('\n')
}
