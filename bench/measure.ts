// The servers are compared in interleaved rounds (a, b, c, a, b, c, …) rather
// than one after another: on a shared or virtual machine the speed of the
// host drifts over minutes, and a comparison should not depend on which
// server happened to run in the slow minute. Every server gets the same
// requests, in the same order, each signed just before its round.
import { addCpu, withCpu, type CpuSample } from './cpu.js'
import { withFsyncProbe } from './fsync-probe.js'
import { closedLoop, mergeLoads, paced, type LoadResult } from './load.js'
import type { Plan } from './plan.js'
import { poolOf, signChaindoc, signClerk, type Draft } from './requests.js'
import type { Memory, ServerProcess } from './server-process.js'

export const CLERK_PATH = '/webhooks/clerk'
const CHAINDOC_PATH = '/webhooks/chaindoc'

/** The next n drafts of a shared list, for one server: each server walks the same list. */
export type DraftCursor = (n: number) => readonly Draft[]

export interface Contender {
  /** '(a) hookgate' … */
  readonly name: string
  readonly server: ServerProcess
  readonly load: DraftCursor
  readonly rate: DraftCursor
  /** Best req/s seen so far: sizes the next pool. */
  estimate: number
}

/** One phase over all rounds: each round as run, and all of them pooled. */
export interface Measured {
  rounds: LoadResult[]
  merged: LoadResult
  cpu: CpuSample
  /** fdatasync latencies on the databases' file system during the rounds (fixed rate only; else empty). */
  fsyncMs: number[]
}

export interface ServerFigures {
  name: string
  warmup: LoadResult
  throughput: Measured
  fixedRate: Measured
  /** After all its rounds. */
  memory: Memory
}

/** Enough requests for `seconds` at the rate seen so far, with headroom. */
export function poolSizeFor (requestsPerSecond: number, seconds: number, plan: Plan): number {
  return Math.ceil(Math.max(requestsPerSecond, 100) * seconds * plan.poolHeadroom) + plan.connections * 2
}

function measured (runs: Array<[LoadResult, CpuSample, number[]?]>): Measured {
  return {
    rounds: runs.map(([load]) => load),
    merged: mergeLoads(runs.map(([load]) => load)),
    cpu: addCpu(runs.map(([, cpu]) => cpu)),
    fsyncMs: runs.flatMap(([, , fsyncs]) => fsyncs ?? [])
  }
}

export async function warmUp (contender: Contender, drafts: readonly Draft[], secret: string, plan: Plan): Promise<LoadResult> {
  const pool = poolOf(signClerk(drafts, secret, CLERK_PATH))
  const result = await closedLoop(contender.server.baseUrl, pool, { connections: plan.connections, seconds: plan.warmupSeconds })
  contender.estimate = result.requestsPerSecond
  return result
}

/** One closed-loop round at N connections on the contender's next requests. */
export async function throughputRound (contender: Contender, secret: string, plan: Plan): Promise<[LoadResult, CpuSample]> {
  const pool = poolOf(signClerk(contender.load(poolSizeFor(contender.estimate, plan.throughputSeconds, plan)), secret, CLERK_PATH))
  const run = await withCpu(contender.server, () => closedLoop(contender.server.baseUrl, pool, { connections: plan.connections, seconds: plan.throughputSeconds }))
  contender.estimate = Math.max(contender.estimate, run[0].requestsPerSecond)
  return run
}

async function fixedRateRound (contender: Contender, secret: string, plan: Plan, fsyncDir: string): Promise<[LoadResult, CpuSample, number[]]> {
  const requests = signClerk(contender.rate(plan.fixedRatePerSecond * plan.fixedRateSeconds), secret, CLERK_PATH)
  const [[load, cpu], fsyncs] = await withFsyncProbe(fsyncDir, () =>
    withCpu(contender.server, () => paced(contender.server.baseUrl, requests, { ratePerSecond: plan.fixedRatePerSecond, connections: plan.connections, spin: true })))
  return [load, cpu, fsyncs]
}

/** Runs `round` for every contender, `rounds` times, interleaved; results per contender. */
export async function interleave<T> (contenders: readonly Contender[], rounds: number, round: (c: Contender) => Promise<T>): Promise<T[][]> {
  const results: T[][] = contenders.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (const [i, contender] of contenders.entries()) results[i]?.push(await round(contender))
  }
  return results
}

/** `fsyncDir`: on the databases' file system, where the fixed-rate rounds probe fsync latency. */
export async function compareServers (contenders: readonly Contender[], warmupDrafts: readonly Draft[], secret: string, plan: Plan, fsyncDir: string, log: (line: string) => void): Promise<ServerFigures[]> {
  const warmups: LoadResult[] = []
  for (const contender of contenders) {
    warmups.push(await warmUp(contender, warmupDrafts, secret, plan))
    log(`  ${contender.name}: warm-up ${contender.estimate.toFixed(0)} req/s`)
  }
  log(`  ${plan.rounds} rounds of ${plan.throughputSeconds} s at ${plan.connections} connections, interleaved`)
  const throughput = await interleave(contenders, plan.rounds, (c) => throughputRound(c, secret, plan))
  log(`  ${plan.rounds} rounds of ${plan.fixedRateSeconds} s at ${plan.fixedRatePerSecond} req/s, interleaved`)
  const fixedRate = await interleave(contenders, plan.rounds, (c) => fixedRateRound(c, secret, plan, fsyncDir))
  return contenders.map((contender, i) => ({
    name: contender.name,
    warmup: warmups[i]!,
    throughput: measured(throughput[i] ?? []),
    fixedRate: measured(fixedRate[i] ?? []),
    memory: contender.server.memory()
  }))
}

/** Chaindoc envelopes (hookgate only): requests/s at N connections. */
export async function measureChaindoc (server: ServerProcess, secret: string, requestsPerSecondHint: number, plan: Plan): Promise<LoadResult> {
  const pool = poolOf(signChaindoc(poolSizeFor(requestsPerSecondHint, plan.chaindocSeconds, plan), secret, CHAINDOC_PATH))
  return closedLoop(server.baseUrl, pool, { connections: plan.connections, seconds: plan.chaindocSeconds })
}
