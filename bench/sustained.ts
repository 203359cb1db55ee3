// The sustained end-to-end rate: the highest steady rate at which
// acknowledgement → delivery p99 stays under a bound for a whole hold, with
// one healthy destination. Short probes step the rate up (as fractions of the
// verify-only server's closed-loop req/s from the same run) until one fails,
// one more probe splits the last gap, then the passed rates are held for the
// full time from the top down until one holds, and one more hold splits the
// gap above it. Then half that rate, held,
// to see whether anything accumulates: the p99 of the first and last windows.
import { ackRun, type AckRun } from './ack-run.js'
import type { CpuSample } from './cpu.js'
import { CLERK_PATH } from './measure.js'
import type { Plan } from './plan.js'
import type { Receiver } from './receiver-process.js'
import { clerkDrafts, cursorOver, signClerk } from './requests.js'
import type { ServerProcess } from './server-process.js'
import { summarise, type LatencySummary } from './stats.js'

export const SUSTAINED_P99_MS = 100
/**
 * Request → acknowledgement p99 at or over this: the gateway did not take the
 * rate (requests queued at the sender), whatever its deliveries did. Ingest's
 * backpressure waits at most a second, so a longer wait is a backlog; a 4 s
 * probe shows it before the sender falls the 2 s behind that a hold counts.
 */
export const INGEST_P99_BOUND_MS = 1000
/** Probe rates as fractions of verify-only req/s, tried in order until one fails. */
const PROBE_FRACTIONS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]

export interface RateStep {
  rate: number
  seconds: number
  /** A probe (short) or a hold (the full time). */
  kind: 'probe' | 'hold'
  latency: LatencySummary
  undelivered: number
  /** Not answered 2xx, or never sent because the gateway fell 2 s behind. */
  failed: number
  /** The sender's own lateness p99: large means the rate was partly the sender's limit. */
  sendLagP99Ms: number
  /** Request → acknowledgement p99: a stall of the whole gateway shows here too, a delivery-only one does not. */
  ingestP99Ms: number
  pass: boolean
}

export interface HalfRateFigures {
  rate: number
  seconds: number
  latency: LatencySummary
  /** p99 of the deliveries acknowledged in the first and in the last window. */
  firstWindowP99Ms: number
  lastWindowP99Ms: number
  undelivered: number
  cpu: CpuSample
}

export interface SustainedFigures {
  verifyOnlyRequestsPerSecond: number
  steps: RateStep[]
  /** The highest rate held for the full time, or null when none held. */
  rate: number | null
  half?: HalfRateFigures
}

interface Bench {
  gateway: ServerProcess
  receiver: Receiver
  secret: string
  plan: Plan
  log: (line: string) => void
}

function stepOf (run: AckRun, rate: number, seconds: number, kind: RateStep['kind']): RateStep {
  const latency = summarise(run.deliveries.map((d) => d.latencyMs))
  const failed = run.ingest.non2xx + run.ingest.errors + run.ingest.notSent
  const pass = failed === 0 && run.undelivered === 0 && latency.p99Ms < SUSTAINED_P99_MS && run.ingest.latency.p99Ms < INGEST_P99_BOUND_MS
  return { rate, seconds, kind, latency, undelivered: run.undelivered, failed, sendLagP99Ms: summarise(run.ingest.sendLagMs).p99Ms, ingestP99Ms: run.ingest.latency.p99Ms, pass }
}

export async function measureSustained (bench: Bench, verifyOnlyRequestsPerSecond: number): Promise<SustainedFigures> {
  const { gateway, receiver, secret, plan, log } = bench
  const drafts = cursorOver(clerkDrafts('S'))
  const run = async (rate: number, seconds: number): Promise<AckRun> =>
    await ackRun(gateway, receiver, signClerk(drafts(Math.round(rate * seconds)), secret, CLERK_PATH), rate, plan.connections)
  const steps: RateStep[] = []
  const step = async (rate: number, kind: RateStep['kind']): Promise<RateStep> => {
    const seconds = kind === 'probe' ? plan.sustainedProbeSeconds : plan.sustainedHoldSeconds
    const s = stepOf(await run(rate, seconds), rate, seconds, kind)
    steps.push(s)
    log(`    ${kind} ${rate}/s for ${seconds} s: ack → delivery p50 ${s.latency.p50Ms.toFixed(2)} ms, p99 ${s.latency.p99Ms.toFixed(2)} ms (ingest p99 ${s.ingestP99Ms.toFixed(2)} ms), failed ${s.failed}, undelivered ${s.undelivered}: ${s.pass ? 'holds' : 'does not'}`)
    return s
  }

  const passed: number[] = []
  let failedAt: number | null = null
  for (const fraction of PROBE_FRACTIONS) {
    const rate = Math.round(fraction * verifyOnlyRequestsPerSecond)
    if ((await step(rate, 'probe')).pass) passed.push(rate)
    else { failedAt = rate; break }
  }
  const best = passed.at(-1)
  if (best !== undefined && failedAt !== null) {
    const middle = Math.round((best + failedAt) / 2)
    if ((await step(middle, 'probe')).pass) passed.push(middle)
  }
  // A probe is short: a rate just above what the gateway sustains builds its backlog
  // too slowly to show in it. So hold the passed rates from the top down until one
  // holds, then split the gap to the lowest hold that failed once.
  let rate: number | null = null
  let heldFailedAt: number | null = null
  for (const candidate of [...passed].reverse()) {
    if ((await step(candidate, 'hold')).pass) { rate = candidate; break }
    heldFailedAt = candidate
  }
  if (rate !== null && heldFailedAt !== null) {
    const middle = Math.round((rate + heldFailedAt) / 2)
    if ((await step(middle, 'hold')).pass) rate = middle
  }

  const halfRate = Math.max(1, Math.round((rate ?? Math.round(PROBE_FRACTIONS[0]! * verifyOnlyRequestsPerSecond)) / 2))
  const halfRun = await run(halfRate, plan.halfRateSeconds)
  const windowMs = plan.halfRateWindowSeconds * 1000
  const endMs = plan.halfRateSeconds * 1000
  const p99Of = (from: number, to: number): number =>
    summarise(halfRun.deliveries.filter((d) => d.ackedAtMs >= from && d.ackedAtMs < to).map((d) => d.latencyMs)).p99Ms
  const half: HalfRateFigures = {
    rate: halfRate,
    seconds: plan.halfRateSeconds,
    latency: summarise(halfRun.deliveries.map((d) => d.latencyMs)),
    firstWindowP99Ms: p99Of(0, windowMs),
    lastWindowP99Ms: p99Of(endMs - windowMs, Infinity),
    undelivered: halfRun.undelivered,
    cpu: halfRun.cpu
  }
  log(`    half rate ${halfRate}/s for ${plan.halfRateSeconds} s: p50 ${half.latency.p50Ms.toFixed(2)} ms, p99 ${half.latency.p99Ms.toFixed(2)} ms; first ${plan.halfRateWindowSeconds} s p99 ${half.firstWindowP99Ms.toFixed(2)} ms, last ${half.lastWindowP99Ms.toFixed(2)} ms`)
  return { verifyOnlyRequestsPerSecond, steps, rate, half }
}
