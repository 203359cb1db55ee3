// End to end through hookgate: acknowledgement → delivery latency at a fixed
// rate, the sustained rate (bench/sustained.ts), and events/s delivered at
// full load, to a receiver on 127.0.0.1.
import { ackRun, waitForCount, waitForQuiet } from './ack-run.js'
import { withCpu, type CpuSample } from './cpu.js'
import { startHookgate, type HookgateSecrets } from './hookgate.js'
import { closedLoop, paced, type LoadResult } from './load.js'
import { CLERK_PATH, poolSizeFor } from './measure.js'
import type { Plan } from './plan.js'
import { startReceiver } from './receiver-process.js'
import { clerkDrafts, poolOf, signClerk } from './requests.js'
import type { Memory } from './server-process.js'
import { summarise, type LatencySummary } from './stats.js'
import { measureSustained, type SustainedFigures } from './sustained.js'

export interface PhaseContext {
  tmp: string
  secrets: HookgateSecrets
  plan: Plan
  nodeFlags: readonly string[]
  log: (line: string) => void
  /** hookgate's req/s without destinations: sizes the request pools. */
  plainRequestsPerSecond: number
  /** The verify-only server's closed-loop req/s in this run: the sustained rate's yardstick. */
  verifyOnlyRequestsPerSecond: number
  /** Cores the end-to-end gateway may run on (default: the server core only). */
  gatewayCores?: string
}

export function firstLine (err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''
}

export interface EndToEndFigures {
  skipped?: string
  fixedRate?: { ingest: LoadResult, ackToDelivery: LatencySummary, undelivered: number, cpu: CpuSample }
  sustained?: SustainedFigures
  fullLoad?: {
    ingest: LoadResult
    /** Distinct events the receiver got while the load ran, per second of load. */
    deliveredPerSecondDuringLoad: number
    /** All accepted events over the time from the first request to the last delivery. */
    deliveredPerSecondOverall: number
    drainSeconds: number
    undelivered: number
    /** The gateway's CPU from the first request to the last delivery (every event ingested and delivered). */
    cpu: CpuSample
  }
  memory?: Memory
}

const DELIVERY_PROBE_MS = 5_000

export async function measureEndToEnd (ctx: PhaseContext): Promise<EndToEndFigures> {
  const { plan, log, plainRequestsPerSecond } = ctx
  const receiver = await startReceiver()
  let gateway
  try {
    gateway = await startHookgate({ name: 'hookgate-e2e', parentDir: ctx.tmp, secrets: ctx.secrets, destinationUrl: receiver.url, nodeFlags: ctx.nodeFlags, cores: ctx.gatewayCores })
  } catch (err) {
    await receiver.stop()
    return { skipped: `hookgate did not start with a destination: ${firstLine(err)}` }
  }
  try {
    const drafts = clerkDrafts('E')
    const sign = (from: number, to: number): ReturnType<typeof signClerk> => signClerk(drafts(to).slice(from), ctx.secrets.clerk, CLERK_PATH)
    const rate = plan.fixedRatePerSecond

    // Warm-up, and proof that deliveries happen at all in this build.
    const warm = await paced(gateway.baseUrl, sign(0, rate), { ratePerSecond: rate, connections: plan.connections, spin: false })
    const warmDelivered = await waitForCount(receiver, warm.ok, DELIVERY_PROBE_MS)
    if (warmDelivered === 0) return { skipped: `no event reached the receiver within ${DELIVERY_PROBE_MS / 1000} s of ${warm.ok} acknowledged (is delivery in this build?)` }
    // Let the warm-up drain so that none of it lands in the measured phase.
    await waitForCount(receiver, warm.ok, 15_000)
    await waitForQuiet(receiver, 500, 5_000)

    const fixed = await ackRun(gateway, receiver, sign(rate, rate + rate * plan.e2eRateSeconds), rate, plan.connections)
    const fixedRate = { ingest: fixed.ingest, ackToDelivery: summarise(fixed.deliveries.map((d) => d.latencyMs)), undelivered: fixed.undelivered, cpu: fixed.cpu }
    log(`  ack → delivery at ${rate}/s: p50 ${fixedRate.ackToDelivery.p50Ms.toFixed(2)} ms, p99 ${fixedRate.ackToDelivery.p99Ms.toFixed(2)} ms, undelivered ${fixedRate.undelivered}`)

    log(`  sustained rate: p99 under 100 ms for ${plan.sustainedHoldSeconds} s (probes of ${plan.sustainedProbeSeconds} s first)`)
    const sustained = await measureSustained({ gateway, receiver, secret: ctx.secrets.clerk, plan, log }, ctx.verifyOnlyRequestsPerSecond)

    // Full load: what the gateway delivers while it ingests as fast as it can.
    await receiver.reset()
    const loadDrafts = clerkDrafts('F')
    const pool = poolOf(signClerk(loadDrafts(poolSizeFor(plainRequestsPerSecond, plan.e2eLoadSeconds, plan)), ctx.secrets.clerk, CLERK_PATH))
    const loadStartMs = performance.timeOrigin + performance.now()
    let loadEndMs = loadStartMs
    const [load, cpu] = await withCpu(gateway, async () => {
      const result = await closedLoop(gateway.baseUrl, pool, { connections: plan.connections, seconds: plan.e2eLoadSeconds })
      loadEndMs = performance.timeOrigin + performance.now()
      await waitForCount(receiver, result.ok, 30_000)
      await waitForQuiet(receiver, 1_000, 5_000)
      return result
    })
    const arrivals = (await receiver.dump(false)).arrivalsMs
    const lastMs = arrivals.reduce((a, b) => Math.max(a, b), loadStartMs)
    const duringLoad = arrivals.filter((t) => t <= loadEndMs).length
    const fullLoad = {
      ingest: load,
      deliveredPerSecondDuringLoad: duringLoad / ((loadEndMs - loadStartMs) / 1000),
      deliveredPerSecondOverall: arrivals.length / ((lastMs - loadStartMs) / 1000),
      drainSeconds: Math.max(0, lastMs - loadEndMs) / 1000,
      undelivered: Math.max(0, load.ok - arrivals.length),
      cpu
    }
    log(`  full load: ingest ${load.requestsPerSecond.toFixed(0)} req/s, delivered ${fullLoad.deliveredPerSecondDuringLoad.toFixed(0)}/s during (${(fullLoad.deliveredPerSecondDuringLoad / load.requestsPerSecond).toFixed(2)}×), ${fullLoad.deliveredPerSecondOverall.toFixed(0)}/s overall`)
    return { fixedRate, sustained, fullLoad, memory: gateway.memory() }
  } finally {
    await gateway.stop()
    await receiver.stop()
  }
}
