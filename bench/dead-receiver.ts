// Ingest while deliveries pile up for a receiver that is down: a second
// hookgate forwards to a closed port, gets a backlog first, and is then
// measured in rounds interleaved with the plain hookgate (no destinations).
import Database from 'better-sqlite3'
import { addCpu, type CpuSample } from './cpu.js'
import { firstLine, type PhaseContext } from './e2e.js'
import { startHookgate } from './hookgate.js'
import { closedLoop, mergeLoads, type LoadResult } from './load.js'
import { CLERK_PATH, interleave, throughputRound, type Contender } from './measure.js'
import { clerkDrafts, cursorOver, poolOf, signClerk } from './requests.js'
import { freePort, type Memory } from './server-process.js'

export interface DeadReceiverFigures {
  skipped?: string
  pendingBefore?: number | null
  dead?: { load: LoadResult, cpu: CpuSample }
  plain?: { load: LoadResult, cpu: CpuSample }
  /** dead req/s ÷ plain req/s, pooled over the interleaved rounds. */
  ratio?: number
  memory?: Memory
}

/** Reads the outbox only to confirm the setup (the gateway has no count API); null if the schema differs. */
function pendingDeliveries (dbPath: string): number | null {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true })
    try {
      return (db.prepare("SELECT count(*) AS n FROM deliveries WHERE status = 'pending'").get() as { n: number }).n
    } finally {
      db.close()
    }
  } catch {
    return null
  }
}

export async function measureDeadReceiver (ctx: PhaseContext, plain: Contender): Promise<DeadReceiverFigures> {
  const { plan, log, secrets } = ctx
  // A port that was free a moment ago and that nobody listens on: connection refused.
  const deadUrl = `http://127.0.0.1:${await freePort()}/hooks`
  let gateway
  try {
    gateway = await startHookgate({ name: 'hookgate-dead', parentDir: ctx.tmp, secrets, destinationUrl: deadUrl, nodeFlags: ctx.nodeFlags })
  } catch (err) {
    return { skipped: `hookgate did not start with a destination: ${firstLine(err)}` }
  }
  try {
    const pending = plan.deadPendingEvents
    const preload = poolOf(signClerk(clerkDrafts('D')(pending + plan.connections * 2), secrets.clerk, CLERK_PATH))
    await closedLoop(gateway.baseUrl, preload, { connections: plan.connections, amount: pending })
    const pendingBefore = pendingDeliveries(gateway.dbPath)
    log(`  preloaded ${pending} events; pending deliveries: ${pendingBefore ?? 'unknown'}`)

    const dead: Contender = { name: 'hookgate, dead receiver', server: gateway, load: cursorOver(clerkDrafts('d')), rate: cursorOver(clerkDrafts('e')), estimate: plain.estimate }
    const [plainRuns = [], deadRuns = []] = await interleave([plain, dead], plan.rounds, (c) => throughputRound(c, secrets.clerk, plan))
    const pooled = (runs: Array<[LoadResult, CpuSample]>): { load: LoadResult, cpu: CpuSample } =>
      ({ load: mergeLoads(runs.map(([load]) => load)), cpu: addCpu(runs.map(([, cpu]) => cpu)) })
    const figures = { pendingBefore, dead: pooled(deadRuns), plain: pooled(plainRuns), memory: gateway.memory() }
    const ratio = figures.dead.load.requestsPerSecond / figures.plain.load.requestsPerSecond
    log(`  ingest ${figures.dead.load.requestsPerSecond.toFixed(0)} req/s vs ${figures.plain.load.requestsPerSecond.toFixed(0)} without destinations (${ratio.toFixed(2)}×)`)
    return { ...figures, ratio }
  } finally {
    await gateway.stop()
  }
}
