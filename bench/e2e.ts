// End to end through hookgate: acknowledgement → delivery latency at a fixed
// rate, and events/s delivered at full load, to a receiver on 127.0.0.1.
import { setTimeout as sleep } from 'node:timers/promises'
import { startHookgate, type HookgateSecrets } from './hookgate.js'
import { closedLoop, paced, type LoadResult } from './load.js'
import { CLERK_PATH, poolSizeFor } from './measure.js'
import type { Plan } from './plan.js'
import { startReceiver, type Receiver } from './receiver-process.js'
import { clerkDrafts, poolOf, signClerk } from './requests.js'
import type { Memory } from './server-process.js'
import { summarise, type LatencySummary } from './stats.js'

export interface PhaseContext {
  tmp: string
  secrets: HookgateSecrets
  plan: Plan
  nodeFlags: readonly string[]
  log: (line: string) => void
  /** hookgate's req/s without destinations: sizes the request pools. */
  plainRequestsPerSecond: number
}

export function firstLine (err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''
}

export interface EndToEndFigures {
  skipped?: string
  fixedRate?: { ingest: LoadResult, ackToDelivery: LatencySummary, undelivered: number }
  fullLoad?: {
    ingest: LoadResult
    /** Distinct events the receiver got while the load ran, per second of load. */
    deliveredPerSecondDuringLoad: number
    /** All accepted events over the time from the first request to the last delivery. */
    deliveredPerSecondOverall: number
    drainSeconds: number
    undelivered: number
  }
  memory?: Memory
}

const DELIVERY_PROBE_MS = 5_000

/** Polls until the receiver holds `expected` distinct events, or the time is up. */
async function waitForCount (receiver: Receiver, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let count = await receiver.count()
  while (count < expected && Date.now() < deadline) {
    await sleep(50)
    count = await receiver.count()
  }
  return count
}

/**
 * Then until nothing new arrives for `quietMs`: requests in flight when the
 * load stopped were stored and are delivered too, though no client saw their 200.
 */
async function waitForQuiet (receiver: Receiver, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let count = await receiver.count()
  let changedAt = Date.now()
  while (Date.now() - changedAt < quietMs && Date.now() < deadline) {
    await sleep(100)
    const now = await receiver.count()
    if (now !== count) changedAt = Date.now()
    count = now
  }
}

function idFromAck (body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id
    return typeof id === 'string' ? id : undefined
  } catch {
    return undefined
  }
}

export async function measureEndToEnd (ctx: PhaseContext): Promise<EndToEndFigures> {
  const { plan, log, plainRequestsPerSecond } = ctx
  const receiver = await startReceiver()
  let gateway
  try {
    gateway = await startHookgate({ name: 'hookgate-e2e', parentDir: ctx.tmp, secrets: ctx.secrets, destinationUrl: receiver.url, nodeFlags: ctx.nodeFlags })
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

    // Fixed rate: the time each 200 came back, by event id. The sender does not
    // spin here: the receiver shares its core and must not wait for a time slice.
    await receiver.reset()
    const ackedAt = new Map<string, number>()
    const count = rate * plan.e2eRateSeconds
    const ingest = await paced(gateway.baseUrl, sign(rate, rate + count), {
      ratePerSecond: rate,
      connections: plan.connections,
      spin: false,
      onAck: (body, atMs) => { const id = idFromAck(body); if (id !== undefined) ackedAt.set(id, atMs) }
    })
    await waitForCount(receiver, ackedAt.size, 15_000)
    await waitForQuiet(receiver, 500, 5_000)
    const dump = await receiver.dump(true)
    const latencies: number[] = []
    dump.ids?.forEach((id, i) => {
      const acked = ackedAt.get(id)
      const arrived = dump.arrivalsMs[i]
      if (acked !== undefined && arrived !== undefined) latencies.push(arrived - acked)
    })
    const fixedRate = { ingest, ackToDelivery: summarise(latencies), undelivered: ackedAt.size - latencies.length }
    log(`  ack → delivery at ${rate}/s: p50 ${fixedRate.ackToDelivery.p50Ms.toFixed(2)} ms, p99 ${fixedRate.ackToDelivery.p99Ms.toFixed(2)} ms, undelivered ${fixedRate.undelivered}`)

    // Full load: what the gateway delivers while it ingests as fast as it can.
    await receiver.reset()
    const loadDrafts = clerkDrafts('F')
    const pool = poolOf(signClerk(loadDrafts(poolSizeFor(plainRequestsPerSecond, plan.e2eLoadSeconds, plan)), ctx.secrets.clerk, CLERK_PATH))
    const loadStartMs = performance.timeOrigin + performance.now()
    const load = await closedLoop(gateway.baseUrl, pool, { connections: plan.connections, seconds: plan.e2eLoadSeconds })
    const loadEndMs = performance.timeOrigin + performance.now()
    await waitForCount(receiver, load.ok, 30_000)
    await waitForQuiet(receiver, 1_000, 5_000)
    const arrivals = (await receiver.dump(false)).arrivalsMs
    const lastMs = arrivals.reduce((a, b) => Math.max(a, b), loadStartMs)
    const duringLoad = arrivals.filter((t) => t <= loadEndMs).length
    const fullLoad = {
      ingest: load,
      deliveredPerSecondDuringLoad: duringLoad / ((loadEndMs - loadStartMs) / 1000),
      deliveredPerSecondOverall: arrivals.length / ((lastMs - loadStartMs) / 1000),
      drainSeconds: Math.max(0, lastMs - loadEndMs) / 1000,
      undelivered: Math.max(0, load.ok - arrivals.length)
    }
    log(`  full load: ingest ${load.requestsPerSecond.toFixed(0)} req/s, delivered ${fullLoad.deliveredPerSecondDuringLoad.toFixed(0)}/s during, ${fullLoad.deliveredPerSecondOverall.toFixed(0)}/s overall`)
    return { fixedRate, fullLoad, memory: gateway.memory() }
  } finally {
    await gateway.stop()
    await receiver.stop()
  }
}
