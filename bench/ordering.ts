// Ordered delivery per subject (issue 16): the same webhook load, events about
// 1,000 users in turn, through two fresh gateways forwarding to the same
// receiver, one destination unordered, the other `ordering: subject`; rounds
// interleaved (a b b a). Delivered events per second end to end: every event the
// receiver got over the time from the first request to the last arrival.
// Part of `npm run bench`; alone (it builds first): `npx tsx bench/ordering.ts [--quick]`.
import Database from 'better-sqlite3'
import { rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { pathToFileURL } from 'node:url'
import { waitForCount, waitForQuiet } from './ack-run.js'
import { withCpu, type CpuSample } from './cpu.js'
import { build } from './build.js'
import { firstLine } from './e2e.js'
import { hookgateBuilt, startHookgate, type HookgateSecrets } from './hookgate.js'
import { closedLoop, type LoadResult } from './load.js'
import { acquireBenchLock } from './lock.js'
import { benchTmpDir, pinSelfToLoadCore } from './machine.js'
import { CLERK_PATH } from './measure.js'
import { FULL_PLAN, QUICK_PLAN, type Plan } from './plan.js'
import { startReceiver, type Receiver } from './receiver-process.js'
import { clerkDrafts, newSvixSecret, poolOf, signClerk } from './requests.js'
import type { ServerProcess } from './server-process.js'
import { orderingLines } from './report-ordering.js'

const SUBJECTS = 1000
const WARMUP_EVENTS = 3000
/** Short rounds, interleaved: a slow minute on a shared host lands on both gateways. */
const ROUNDS = 4

export interface OrderingRound {
  ingest: LoadResult
  /** Distinct events at the receiver. */
  delivered: number
  /** From the first request to the last arrival. */
  seconds: number
  /** The gateway's CPU over those seconds (ok: events delivered): what a crowded machine does not skew. */
  cpu: CpuSample
}

export interface OrderingFigures {
  skipped?: string
  events?: number
  subjects?: number
  connections?: number
  rounds?: number
  unordered?: OrderingRound[]
  ordered?: OrderingRound[]
  /** Deliveries the ordered gateway's file holds in a subject's line: proof it ordered. */
  orderedKeys?: number
}

async function round (gateway: ServerProcess, receiver: Receiver, drafts: ReturnType<typeof clerkDrafts>, events: number, connections: number, secret: string): Promise<OrderingRound> {
  await receiver.reset()
  const pool = poolOf(signClerk(drafts(events + 2 * connections), secret, CLERK_PATH))
  const startMs = performance.timeOrigin + performance.now()
  const [{ ingest, delivered, seconds }, cpu] = await withCpu(gateway, async () => {
    const ingest = await closedLoop(gateway.baseUrl, pool, { connections, amount: events })
    await waitForCount(receiver, ingest.ok, 60_000)
    await waitForQuiet(receiver, 500, 5_000)
    const arrivals = (await receiver.dump(false)).arrivalsMs
    const lastMs = arrivals.reduce((a, b) => Math.max(a, b), startMs)
    return { ingest, delivered: arrivals.length, ok: arrivals.length, seconds: (lastMs - startMs) / 1000 }
  })
  return { ingest, delivered, seconds, cpu }
}

function orderKeys (dbPath: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM deliveries WHERE order_key IS NOT NULL').get() as { n: number }).n
  } finally {
    db.close()
  }
}

export async function measureOrdering (ctx: { tmp: string, secrets: HookgateSecrets, plan: Plan, log: (line: string) => void }): Promise<OrderingFigures> {
  const { plan, secrets, log } = ctx
  const receiver = await startReceiver()
  const started: Array<Awaited<ReturnType<typeof startHookgate>>> = []
  try {
    for (const [name, destination] of [['hookgate-unordered', {}], ['hookgate-ordered', { ordering: 'subject' }]] as const) {
      started.push(await startHookgate({ name, parentDir: ctx.tmp, secrets, destinationUrl: receiver.url, destination }))
    }
  } catch (err) {
    for (const g of started) await g.stop()
    await receiver.stop()
    return { skipped: `hookgate did not start with a destination: ${firstLine(err)}` }
  }
  const [unordered, ordered] = started as [ServerProcess & { dbPath: string }, ServerProcess & { dbPath: string }]
  try {
    const events = Math.round(plan.orderingEvents / ROUNDS)
    for (const gateway of started) await round(gateway, receiver, clerkDrafts('OW', SUBJECTS), WARMUP_EVENTS, plan.connections, secrets.clerk)
    const figures: Required<Pick<OrderingFigures, 'unordered' | 'ordered'>> = { unordered: [], ordered: [] }
    for (let r = 0; r < ROUNDS; r++) {
      // Both gateways get the same requests in a round (each has its own database), first one, then the other (a b b a …).
      const drafts = clerkDrafts(`O${r}`, SUBJECTS)
      for (const [gateway, rounds] of r % 2 === 0 ? [[unordered, figures.unordered], [ordered, figures.ordered]] as const : [[ordered, figures.ordered], [unordered, figures.unordered]] as const) {
        rounds.push(await round(gateway, receiver, drafts, events, plan.connections, secrets.clerk))
      }
    }
    const result = { events, subjects: SUBJECTS, connections: plan.connections, rounds: ROUNDS, ...figures, orderedKeys: orderKeys(ordered.dbPath) }
    for (const line of orderingLines(result)) log(`  ${line}`)
    return result
  } finally {
    for (const g of started) await g.stop()
    await receiver.stop()
  }
}

async function alone (): Promise<void> {
  const log = (line: string): void => { process.stderr.write(line + '\n') }
  const release = await acquireBenchLock(log, 10 * 60_000)
  const tmp = benchTmpDir()
  try {
    const loadBefore = loadavg()[0] ?? NaN
    log('building (npm run build, bench/tsconfig.json)…')
    const error = build()
    if (error !== null) log(`tsc reported errors (continuing with what it emitted):\n${error}`)
    if (!hookgateBuilt()) throw new Error('dist/src/main.js is missing: the gateway did not build')
    pinSelfToLoadCore()
    const plan = process.argv.includes('--quick') ? QUICK_PLAN : FULL_PLAN
    const figures = await measureOrdering({ tmp, secrets: { clerk: newSvixSecret(), chaindoc: `chaindoc-bench-${newSvixSecret()}` }, plan, log: () => {} })
    process.stdout.write([`Ordered delivery per subject (npx tsx bench/ordering.ts${plan === QUICK_PLAN ? ' --quick' : ''}), load average before ${loadBefore.toFixed(2)}, after ${(loadavg()[0] ?? NaN).toFixed(2)}:`, ...orderingLines(figures), ''].join('\n'))
  } finally {
    rmSync(tmp, { recursive: true, force: true })
    release()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  alone().catch((err: unknown) => {
    process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n')
    process.exitCode = 1
  })
}
