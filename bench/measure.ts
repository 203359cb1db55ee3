// The phases every server goes through, on the same requests: warm-up,
// requests/s at N connections, latency at a fixed rate; RSS after each.
import { closedLoop, paced, type LoadResult } from './load.js'
import type { Memory, ServerProcess } from './server-process.js'
import { poolOf, signClerk, signChaindoc, type Draft, type DraftSource, type SignedRequest } from './requests.js'
import type { Plan } from './plan.js'

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
  /** Share of one core the server used during the phase: well under 100% at full load means it waited (fsync) or was crowded out. */
  throughputCpuPercent: number
  afterThroughput: Memory
  fixedRate: LoadResult
  fixedRateCpuPercent: number
  afterFixedRate: Memory
}

/** Runs a phase and notes the server's CPU use (all its threads) over it. */
async function withCpu<T extends { seconds: number }> (server: ServerProcess, phase: () => Promise<T>): Promise<[T, number]> {
  const before = server.cpuSeconds()
  const result = await phase()
  return [result, (100 * (server.cpuSeconds() - before)) / result.seconds]
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
  const [throughput, throughputCpuPercent] = await withCpu(server, () => closedLoop(server.baseUrl, loadPool, { connections: plan.connections, seconds: plan.throughputSeconds }))
  const afterThroughput = server.memory()
  log(`  ${plan.connections} connections: ${throughput.requestsPerSecond.toFixed(0)} req/s, non-2xx ${throughput.non2xx}, server CPU ${throughputCpuPercent.toFixed(0)}%`)

  const rateRequests = sign(requests.rate(plan.fixedRatePerSecond * plan.fixedRateSeconds))
  const [fixedRate, fixedRateCpuPercent] = await withCpu(server, () => paced(server.baseUrl, rateRequests, { ratePerSecond: plan.fixedRatePerSecond, connections: plan.connections, spin: true }))
  const afterFixedRate = server.memory()
  log(`  ${plan.fixedRatePerSecond} req/s: p50 ${fixedRate.latency.p50Ms.toFixed(2)} ms, p99 ${fixedRate.latency.p99Ms.toFixed(2)} ms`)

  return { name: server.name, warmup, throughput, throughputCpuPercent, afterThroughput, fixedRate, fixedRateCpuPercent, afterFixedRate }
}

/** Chaindoc envelopes (hookgate only): requests/s at N connections. */
export async function measureChaindoc (server: ServerProcess, secret: string, requestsPerSecondHint: number, plan: Plan): Promise<LoadResult> {
  const pool = poolOf(signChaindoc(poolSizeFor(requestsPerSecondHint, plan.chaindocSeconds, plan), secret, CHAINDOC_PATH))
  return closedLoop(server.baseUrl, pool, { connections: plan.connections, seconds: plan.chaindocSeconds })
}

export { CLERK_PATH }
