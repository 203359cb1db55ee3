// Ingest while deliveries pile up for a receiver that is down. Two more
// gateways forward to the same closed port: one gets a backlog of pending
// deliveries first, the other (the control) starts with none. Measured in
// rounds interleaved with the plain hookgate (no destinations). backlog ÷
// control isolates what the target is about, a dead receiver with a backlog;
// backlog ÷ plain also counts the delivery row every routed event writes.
import Database from 'better-sqlite3'
import { addCpu, type CpuSample } from './cpu.js'
import { firstLine, type PhaseContext } from './e2e.js'
import { startHookgate } from './hookgate.js'
import { closedLoop, mergeLoads, type LoadResult } from './load.js'
import { CLERK_PATH, interleave, throughputRound, type Contender } from './measure.js'
import { clerkDrafts, cursorOver, poolOf, signClerk } from './requests.js'
import { freePort, type Memory } from './server-process.js'

/** Requests that warm the control gateway up: enough for the JIT, a tenth of the full run's backlog. */
const CONTROL_WARMUP = 1000

export interface Pooled { load: LoadResult, cpu: CpuSample }

export interface DeadReceiverFigures {
  skipped?: string
  pendingBefore?: number | null
  /** The control's pending deliveries when the rounds began (its warm-up's). */
  controlPendingBefore?: number | null
  dead?: Pooled
  control?: Pooled
  plain?: Pooled
  /** dead req/s ÷ control req/s, pooled over the interleaved rounds: the target. */
  ratio?: number
  /** dead req/s ÷ plain req/s. */
  ratioPlain?: number
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
  const gateways: Array<Awaited<ReturnType<typeof startHookgate>>> = []
  try {
    for (const name of ['hookgate-dead', 'hookgate-dead-control']) {
      gateways.push(await startHookgate({ name, parentDir: ctx.tmp, secrets, destinationUrl: deadUrl, nodeFlags: ctx.nodeFlags }))
    }
  } catch (err) {
    for (const gateway of gateways) await gateway.stop()
    return { skipped: `hookgate did not start with a destination: ${firstLine(err)}` }
  }
  const [gateway, controlGateway] = gateways as [typeof gateways[0], typeof gateways[0]]
  try {
    const pending = plan.deadPendingEvents
    const preload = poolOf(signClerk(clerkDrafts('D')(pending + plan.connections * 2), secrets.clerk, CLERK_PATH))
    await closedLoop(gateway.baseUrl, preload, { connections: plan.connections, amount: pending })
    const pendingBefore = pendingDeliveries(gateway.dbPath)
    // The control gets a short warm-up (counted, not timed: its pending must stay
    // small next to the backlog), so that both run warm code.
    const warmup = poolOf(signClerk(clerkDrafts('C')(CONTROL_WARMUP + plan.connections * 2), secrets.clerk, CLERK_PATH))
    await closedLoop(controlGateway.baseUrl, warmup, { connections: plan.connections, amount: CONTROL_WARMUP })
    const controlPendingBefore = pendingDeliveries(controlGateway.dbPath)
    log(`  preloaded ${pending} events; pending deliveries: ${pendingBefore ?? 'unknown'} (control: ${controlPendingBefore ?? 'unknown'})`)

    const contender = (name: string, server: typeof gateway, tag: string): Contender =>
      ({ name, server, load: cursorOver(clerkDrafts(tag)), rate: cursorOver(clerkDrafts(tag.toUpperCase())), estimate: plain.estimate })
    const dead = contender('hookgate, dead receiver, backlog', gateway, 'd')
    const control = contender('hookgate, dead receiver, no backlog', controlGateway, 'c')
    const [plainRuns = [], deadRuns = [], controlRuns = []] = await interleave([plain, dead, control], plan.rounds, (c) => throughputRound(c, secrets.clerk, plan))
    const pooled = (runs: Array<[LoadResult, CpuSample]>): Pooled =>
      ({ load: mergeLoads(runs.map(([load]) => load)), cpu: addCpu(runs.map(([, cpu]) => cpu)) })
    const figures = { pendingBefore, controlPendingBefore, dead: pooled(deadRuns), control: pooled(controlRuns), plain: pooled(plainRuns), memory: gateway.memory() }
    const ratio = figures.dead.load.requestsPerSecond / figures.control.load.requestsPerSecond
    const ratioPlain = figures.dead.load.requestsPerSecond / figures.plain.load.requestsPerSecond
    log(`  ingest ${figures.dead.load.requestsPerSecond.toFixed(0)} req/s vs ${figures.control.load.requestsPerSecond.toFixed(0)} without the backlog (${ratio.toFixed(2)}×), ${figures.plain.load.requestsPerSecond.toFixed(0)} without destinations (${ratioPlain.toFixed(2)}×)`)
    return { ...figures, ratio, ratioPlain }
  } finally {
    for (const g of gateways) await g.stop()
  }
}
