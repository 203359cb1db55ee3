// The phases every server goes through, on the same requests: warm-up,
// requests/s at N connections, latency at a fixed rate; RSS after each.
import { closedLoop, paced, type LoadResult } from './load.js'
import type { Memory, ServerProcess } from './server-process.js'
import { poolOf, signClerk, signChaindoc, type Draft, type DraftSource, type SignedRequest } from './requests.js'
import type { Plan } from './plan.js'
import { coreBusySeconds, LOAD_CORE, pinning, SERVER_CORE } from './machine.js'

export interface ClerkRequests {
  secret: string
  warmup: DraftSource
  load: DraftSource
  rate: DraftSource
}

export interface ServerFigures {
  name: string
  warmup: LoadResult
  throughput: LoadResult
  throughputCpu: CpuUse
  afterThroughput: Memory
  fixedRate: LoadResult
  fixedRateCpu: CpuUse
  afterFixedRate: Memory
}

/**
 * Percent of one core over a phase. `server`: all the server's threads; well
 * under 100 at full load means it waited (fsync) or was crowded out. `others`:
 * whatever else ran on the server's core (other processes, steal); it should
 * be near 0, or the machine was not quiet. NaN when nothing is pinned.
 */
export interface CpuUse {
  server: number
  others: number
  /** This process (autocannon or the paced sender): near 100 means the load, not the server, was the limit. */
  loadGenerator: number
  /** Whatever else ran on the load generator's core: high means the load itself was held back. */
  othersOnLoadCore: number
  /**
   * Server CPU per answered request, in µs: robust to a crowded machine,
   * unlike req/s. `main` is the event-loop thread, `busiestOther` the
   * hardest-working other thread (hookgate's SQLite writer), `rest` the remainder.
   */
  perRequestUs: { total: number, main: number, busiestOther: number, rest: number }
}

export async function withCpu<T extends { seconds: number, ok: number }> (server: ServerProcess, phase: () => Promise<T>): Promise<[T, CpuUse]> {
  const threadsBefore = server.threadCpuSeconds()
  const coreBefore = coreBusySeconds(SERVER_CORE)
  const loadCoreBefore = coreBusySeconds(LOAD_CORE)
  const selfBefore = process.cpuUsage()
  const result = await phase()
  const self = process.cpuUsage(selfBefore)
  const used = [...server.threadCpuSeconds()].map(([tid, seconds]) => [tid, seconds - (threadsBefore.get(tid) ?? 0)] as const)
  const serverSeconds = used.reduce((sum, [, seconds]) => sum + seconds, 0)
  const main = used.find(([tid]) => tid === server.pid)?.[1] ?? 0
  const busiestOther = Math.max(0, ...used.filter(([tid]) => tid !== server.pid).map(([, seconds]) => seconds))
  const others = pinning() ? Math.max(0, coreBusySeconds(SERVER_CORE) - coreBefore - serverSeconds) : NaN
  const selfSeconds = (self.user + self.system) / 1e6
  // The receiver child (end-to-end phases) also runs there and counts as "others".
  const othersOnLoadCore = pinning() ? Math.max(0, coreBusySeconds(LOAD_CORE) - loadCoreBefore - selfSeconds) : NaN
  const percent = (seconds: number): number => (100 * seconds) / result.seconds
  const perRequest = (seconds: number): number => (1e6 * seconds) / result.ok
  return [result, {
    server: percent(serverSeconds),
    others: percent(others),
    loadGenerator: percent(selfSeconds),
    othersOnLoadCore: percent(othersOnLoadCore),
    perRequestUs: { total: perRequest(serverSeconds), main: perRequest(main), busiestOther: perRequest(busiestOther), rest: perRequest(serverSeconds - main - busiestOther) }
  }]
}

const CLERK_PATH = '/webhooks/clerk'
const CHAINDOC_PATH = '/webhooks/chaindoc'

/** Enough requests for `seconds` at the rate seen so far, with headroom. */
export function poolSizeFor (requestsPerSecond: number, seconds: number, plan: Plan): number {
  return Math.ceil(Math.max(requestsPerSecond, 100) * seconds * plan.poolHeadroom) + plan.connections * 2
}

export async function measureServer (server: ServerProcess, requests: ClerkRequests, plan: Plan, log: (line: string) => void): Promise<ServerFigures> {
  const sign = (drafts: readonly Draft[]): SignedRequest[] => signClerk(drafts, requests.secret, CLERK_PATH)

  const warmupPool = poolOf(sign(requests.warmup(plan.warmupSeconds * plan.warmupRateCeiling)))
  const warmup = await closedLoop(server.baseUrl, warmupPool, { connections: plan.connections, seconds: plan.warmupSeconds })
  log(`  warm-up ${warmup.requestsPerSecond.toFixed(0)} req/s`)

  // Signed now, after the warm-up told us how many the run can use.
  const loadPool = poolOf(sign(requests.load(poolSizeFor(warmup.requestsPerSecond, plan.throughputSeconds, plan))))
  const [throughput, throughputCpu] = await withCpu(server, () => closedLoop(server.baseUrl, loadPool, { connections: plan.connections, seconds: plan.throughputSeconds }))
  const afterThroughput = server.memory()
  log(`  ${plan.connections} connections: ${throughput.requestsPerSecond.toFixed(0)} req/s, non-2xx ${throughput.non2xx}, server CPU ${throughputCpu.server.toFixed(0)}% (${throughputCpu.perRequestUs.total.toFixed(0)} µs/req), others on its core ${throughputCpu.others.toFixed(0)}%, load generator ${throughputCpu.loadGenerator.toFixed(0)}% (others on its core ${throughputCpu.othersOnLoadCore.toFixed(0)}%)`)

  const rateRequests = sign(requests.rate(plan.fixedRatePerSecond * plan.fixedRateSeconds))
  const [fixedRate, fixedRateCpu] = await withCpu(server, () => paced(server.baseUrl, rateRequests, { ratePerSecond: plan.fixedRatePerSecond, connections: plan.connections, spin: true }))
  const afterFixedRate = server.memory()
  log(`  ${plan.fixedRatePerSecond} req/s: p50 ${fixedRate.latency.p50Ms.toFixed(2)} ms, p99 ${fixedRate.latency.p99Ms.toFixed(2)} ms, others on the server core ${fixedRateCpu.others.toFixed(0)}%`)

  return { name: server.name, warmup, throughput, throughputCpu, afterThroughput, fixedRate, fixedRateCpu, afterFixedRate }
}

/** Chaindoc envelopes (hookgate only): requests/s at N connections. */
export async function measureChaindoc (server: ServerProcess, secret: string, requestsPerSecondHint: number, plan: Plan): Promise<LoadResult> {
  const pool = poolOf(signChaindoc(poolSizeFor(requestsPerSecondHint, plan.chaindocSeconds, plan), secret, CHAINDOC_PATH))
  return closedLoop(server.baseUrl, pool, { connections: plan.connections, seconds: plan.chaindocSeconds })
}

export { CLERK_PATH }
