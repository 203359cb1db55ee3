// The PostgreSQL round's second half (issue 14): acknowledgement → delivery
// through a gateway on PostgreSQL, and one replica against two on one
// database, with what each webhook costs in CPU on the gateways and on the
// database server: the figures the README sizes a deployment from.
import { readdirSync, readFileSync } from 'node:fs'
import { ackRun, waitForCount, waitForQuiet } from './ack-run.js'
import { startHookgate, type HookgateSecrets } from './hookgate.js'
import { closedLoop, mergeLoads, type LoadResult } from './load.js'
import { CLERK_PATH, poolSizeFor } from './measure.js'
import type { Plan } from './plan.js'
import { startReceiver } from './receiver-process.js'
import { clerkDrafts, cursorOver, poolOf, signClerk, type DraftSource } from './requests.js'
import type { ServerProcess } from './server-process.js'
import { summarise, type LatencySummary } from './stats.js'

export interface ReplicaRound {
  replicas: number
  load: LoadResult
  /** Gateway CPU (every thread of every replica) and PostgreSQL's (every `postgres` process), µs per acknowledged webhook. */
  gatewayUsPerRequest: number
  databaseUsPerRequest: number
}

export interface PostgresReplicaFigures {
  ackToDelivery?: { ratePerSecond: number, latency: LatencySummary, undelivered: number }
  rounds: ReplicaRound[]
  skipped?: string
}

/** CPU seconds of every process named `postgres` (the server and its backends): the database's share of the work. */
function postgresCpuSeconds (): number {
  let total = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (!stat.includes('(postgres)')) continue
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      total += (Number(fields[11]) + Number(fields[12])) / 100
    } catch {} // the process ended between the listing and the read
  }
  return total
}

const serverCpuSeconds = (servers: readonly ServerProcess[]): number =>
  servers.reduce((sum, s) => sum + [...s.threadCpuSeconds().values()].reduce((a, b) => a + b, 0), 0)

/** The same number of connections in all, split over the replicas, each with requests of its own. */
async function replicaRound (replicas: readonly ServerProcess[], drafts: DraftSource, estimateRps: number, secret: string, plan: Plan): Promise<ReplicaRound> {
  const seconds = plan.e2eLoadSeconds
  const pools = replicas.map(() => poolOf(signClerk(drafts(poolSizeFor(estimateRps / replicas.length, seconds, plan)), secret, CLERK_PATH)))
  const gatewayBefore = serverCpuSeconds(replicas)
  const databaseBefore = postgresCpuSeconds()
  const loads = await Promise.all(replicas.map((r, i) => closedLoop(r.baseUrl, pools[i]!, { connections: Math.ceil(plan.connections / replicas.length), seconds })))
  const load = mergeLoads(loads)
  const perRequestUs = (cpuSeconds: number): number => (1e6 * cpuSeconds) / Math.max(1, load.ok)
  return {
    replicas: replicas.length,
    load: { ...load, requestsPerSecond: loads.reduce((sum, l) => sum + l.requestsPerSecond, 0) },
    gatewayUsPerRequest: perRequestUs(serverCpuSeconds(replicas) - gatewayBefore),
    databaseUsPerRequest: perRequestUs(postgresCpuSeconds() - databaseBefore)
  }
}

export async function measurePostgresReplicas (ctx: { tmp: string, secrets: HookgateSecrets, plan: Plan, log: (line: string) => void, databaseUrl: (name: string) => Promise<string>, estimateRps: number }): Promise<PostgresReplicaFigures> {
  const { plan, log, secrets } = ctx
  const rate = plan.fixedRatePerSecond
  const figures: PostgresReplicaFigures = { rounds: [] }

  const receiver = await startReceiver()
  const started: ServerProcess[] = []
  try {
    const gateway = await startHookgate({ name: 'hookgate-pg-e2e', parentDir: ctx.tmp, secrets, destinationUrl: receiver.url, storage: { driver: 'postgres', url: await ctx.databaseUrl('bench_e2e') } })
    started.push(gateway)
    // drafts(n) is always the same first n: the measured run takes those after the warm-up's.
    const drafts = clerkDrafts('PE')
    await ackRun(gateway, receiver, signClerk(drafts(rate), secrets.clerk, CLERK_PATH), rate, plan.connections)
    await waitForQuiet(receiver, 500, 5_000)
    const run = await ackRun(gateway, receiver, signClerk(drafts(rate + rate * plan.e2eRateSeconds).slice(rate), secrets.clerk, CLERK_PATH), rate, plan.connections)
    figures.ackToDelivery = { ratePerSecond: rate, latency: summarise(run.deliveries.map((d) => d.latencyMs)), undelivered: run.undelivered }
    log(`  on PostgreSQL, ack → delivery at ${rate}/s: p50 ${figures.ackToDelivery.latency.p50Ms.toFixed(2)} ms, p99 ${figures.ackToDelivery.latency.p99Ms.toFixed(2)} ms, undelivered ${run.undelivered}`)
    await waitForCount(receiver, run.ingest.ok, 5_000)
    await gateway.stop()
    started.length = 0

    // Two replicas of one config on one database, each pinned where the bench pins servers.
    const url = await ctx.databaseUrl('bench_replicas')
    for (const name of ['hookgate-pg-r1', 'hookgate-pg-r2']) started.push(await startHookgate({ name, parentDir: ctx.tmp, secrets, storage: { driver: 'postgres', url } }))
    // A cursor: every pool, of every replica and round, gets requests no other got (a duplicate costs less).
    const loadDrafts = cursorOver(clerkDrafts('PS'))
    for (const replicas of [started.slice(0, 1), started, started.slice(0, 1), started]) {
      const round = await replicaRound(replicas, loadDrafts, ctx.estimateRps, secrets.clerk, plan)
      figures.rounds.push(round)
      log(`  ${round.replicas} replica(s): ${round.load.requestsPerSecond.toFixed(0)} req/s, gateway ${round.gatewayUsPerRequest.toFixed(0)} µs and PostgreSQL ${round.databaseUsPerRequest.toFixed(0)} µs of CPU per webhook`)
    }
    return figures
  } catch (err) {
    return { ...figures, skipped: (err instanceof Error ? err.message : String(err)).split('\n')[0] }
  } finally {
    for (const server of started) await server.stop()
    await receiver.stop()
  }
}

/** The report's lines for these figures: ack → delivery, each replica round, and what one core of each takes. */
export function replicaLines (figures: PostgresReplicaFigures | undefined): string[] {
  if (figures === undefined) return []
  const lines: string[] = ['']
  const a = figures.ackToDelivery
  if (a !== undefined) {
    lines.push(`- On PostgreSQL, at ${a.ratePerSecond} req/s for the same seconds as the end-to-end run above, acknowledgement → delivery **p50 ${a.latency.p50Ms.toFixed(2)} ms, p99 ${a.latency.p99Ms.toFixed(2)} ms** (target p50 < 5 ms); undelivered ${a.undelivered}.`)
  }
  if (figures.rounds.length > 0) {
    const mean = (n: number, pick: (r: ReplicaRound) => number): number => {
      const rounds = figures.rounds.filter((r) => r.replicas === n)
      return rounds.reduce((sum, r) => sum + pick(r), 0) / Math.max(1, rounds.length)
    }
    const rps = (n: number): number => mean(n, (r) => r.load.requestsPerSecond)
    lines.push(
      '- One replica against two on one database (no destination; the same 50 connections in all, split between the replicas; both replicas pinned to the server core, so two share one core; rounds 1, 2, 1, 2):',
      '',
      '| replicas | req/s | non-2xx + errors | gateway CPU µs per webhook (all replicas) | PostgreSQL CPU µs per webhook (every postgres process) |',
      '|---:|---:|---:|---:|---:|',
      ...figures.rounds.map((r) => `| ${r.replicas} | ${r.load.requestsPerSecond.toFixed(0)} | ${r.load.non2xx + r.load.errors} | ${r.gatewayUsPerRequest.toFixed(0)} | ${r.databaseUsPerRequest.toFixed(0)} |`),
      '',
      `- Two replicas ÷ one: **${(rps(2) / rps(1)).toFixed(2)}×** the webhooks per second on this machine. Per webhook, a gateway spends ${mean(1, (r) => r.gatewayUsPerRequest).toFixed(0)} µs of CPU and PostgreSQL ${mean(1, (r) => r.databaseUsPerRequest).toFixed(0)} µs: one gateway core takes about ${Math.floor(1e6 / mean(1, (r) => r.gatewayUsPerRequest))} webhooks/s and one database core about ${Math.floor(1e6 / mean(1, (r) => r.databaseUsPerRequest))}.`
    )
  }
  if (figures.skipped !== undefined) lines.push(`- Cut short: ${figures.skipped}.`)
  return lines
}
