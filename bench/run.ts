// `npm run bench`: hookgate against two baselines on the same requests, then
// end to end through a receiver. Prints the report and writes
// bench/results/latest.md. Flags: --quick (short smoke run), --cpu-prof
// (profiles every hookgate child into bench/results/profiles/), --e2e-only
// (hookgate and verify-only in one round, then end to end; no naive or
// dead-receiver phase; writes bench/results/e2e.md), --gateway-cores=0,1
// (the end-to-end gateway's taskset list instead of core 0).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { build } from './build.js'
import { hookgateBuilt, startHookgate } from './hookgate.js'
import { acquireBenchLock } from './lock.js'
import { benchTmpDir, describeMachine, pinSelfToLoadCore } from './machine.js'
import { measureDeadReceiver, type DeadReceiverFigures } from './dead-receiver.js'
import { measureEndToEnd, type EndToEndFigures } from './e2e.js'
import { compareServers, measureChaindoc, type Contender, type ServerFigures } from './measure.js'
import { FULL_PLAN, QUICK_PLAN } from './plan.js'
import { measureOrdering, type OrderingFigures } from './ordering.js'
import { measurePostgres, type PostgresFigures } from './postgres.js'
import { renderReport, type BenchReport } from './report.js'
import { clerkDrafts, cursorOver, newSvixSecret } from './requests.js'
import { startBaseline, type ServerProcess } from './server-process.js'

const quick = process.argv.includes('--quick')
const cpuProf = process.argv.includes('--cpu-prof')
const e2eOnly = process.argv.includes('--e2e-only')
const gatewayCores = process.argv.find((a) => a.startsWith('--gateway-cores='))?.slice('--gateway-cores='.length)
const plan = { ...(quick ? QUICK_PLAN : FULL_PLAN), ...(e2eOnly ? { rounds: 1 } : {}) }
const RESULTS_DIR = 'bench/results'
const PROFILES_DIR = join(RESULTS_DIR, 'profiles')
const log = (line: string): void => { process.stderr.write(line + '\n') }
/** How long to wait for another bench on this machine to finish. */
const LOCK_WAIT_MS = 10 * 60_000

async function main (): Promise<void> {
  const release = await acquireBenchLock(log, LOCK_WAIT_MS)
  try {
    await benchmark()
  } finally {
    release()
  }
}

async function benchmark (): Promise<void> {
  const startedAt = Date.now()
  const loadBefore = loadavg()[0] ?? NaN
  log('building (npm run build, bench/tsconfig.json)…')
  const buildError = build()
  if (buildError !== null) log(`tsc reported errors (continuing with what it emitted):\n${buildError}`)

  const tmp = benchTmpDir()
  const machine = describeMachine(tmp)
  pinSelfToLoadCore()
  const secrets = { clerk: newSvixSecret(), chaindoc: `chaindoc-bench-${newSvixSecret()}` }
  const nodeFlags = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', PROFILES_DIR] : []
  if (cpuProf) mkdirSync(PROFILES_DIR, { recursive: true })
  // One list of drafts per purpose; every server walks each list from the start.
  const warmupDrafts = clerkDrafts('W')(plan.warmupSeconds * plan.warmupRateCeiling)
  const loadDrafts = clerkDrafts('L')
  const rateDrafts = clerkDrafts('R')
  const contenderOf = (name: string, server: ServerProcess): Contender =>
    ({ name, server, load: cursorOver(loadDrafts), rate: cursorOver(rateDrafts), estimate: 0 })

  const skipped: string[] = []
  const started: ServerProcess[] = []
  const start = async (starting: Promise<ServerProcess>): Promise<ServerProcess> => {
    const server = await starting
    started.push(server)
    return server
  }
  let servers: ServerFigures[] = []
  let chaindoc: BenchReport['chaindoc']
  let endToEnd: EndToEndFigures | undefined
  let deadReceiver: DeadReceiverFigures | undefined
  let ordering: OrderingFigures | undefined

  try {
    const contenders: Contender[] = []
    if (hookgateBuilt()) {
      contenders.push(contenderOf('(a) hookgate', await start(startHookgate({ name: 'hookgate', parentDir: tmp, secrets, nodeFlags }))))
    } else {
      skipped.push('hookgate: dist/src/main.js is missing (the gateway did not build)')
    }
    contenders.push(contenderOf('(b) verify-only', await start(startBaseline('verify-only', 'verify-only.js', { SECRET: secrets.clerk }))))
    if (!e2eOnly) contenders.push(contenderOf('(c) naive-durable', await start(startBaseline('naive-durable', 'naive-durable.js', { SECRET: secrets.clerk, DB_PATH: join(tmp, 'naive.db') }))))

    log(`ingest: ${contenders.map((c) => c.name).join(', ')}`)
    servers = await compareServers(contenders, warmupDrafts, secrets.clerk, plan, tmp, log)
    for (const s of servers) log(`  ${s.name}: ${s.throughput.merged.requestsPerSecond.toFixed(0)} req/s; at ${plan.fixedRatePerSecond}/s p50 ${s.fixedRate.merged.latency.p50Ms.toFixed(2)} ms, p99 ${s.fixedRate.merged.latency.p99Ms.toFixed(2)} ms`)
    // The baselines are done; hookgate stays up to be compared with the dead-receiver gateway.
    for (const c of contenders.slice(1)) await c.server.stop()

    const plain = hookgateBuilt() ? contenders[0] : undefined
    if (plain !== undefined) {
      const result = await measureChaindoc(plain.server, secrets.chaindoc, plain.estimate, plan)
      chaindoc = { result, memory: plain.server.memory() }
      log(`  chaindoc on hookgate: ${result.requestsPerSecond.toFixed(0)} req/s, non-2xx ${result.non2xx}`)

      const verifyOnly = servers.find((s) => s.name.startsWith('(b)'))?.throughput.merged.requestsPerSecond ?? NaN
      const ctx = { tmp, secrets, plan, nodeFlags, log, plainRequestsPerSecond: plain.estimate, verifyOnlyRequestsPerSecond: verifyOnly, gatewayCores }
      log('end to end: hookgate → receiver on 127.0.0.1')
      endToEnd = await measureEndToEnd(ctx)
      if (endToEnd.skipped !== undefined) skipped.push(`end to end: ${endToEnd.skipped}`)
      log('ordered delivery: the same load to an unordered destination and to ordering: subject')
      ordering = await measureOrdering(ctx)
      if (ordering.skipped !== undefined) skipped.push(`ordered delivery: ${ordering.skipped}`)
      if (!e2eOnly) {
        log(`ingest with ${plan.deadPendingEvents} deliveries pending to a dead receiver, interleaved with the plain hookgate`)
        deadReceiver = await measureDeadReceiver(ctx, plain)
        if (deadReceiver.skipped !== undefined) skipped.push(`dead receiver: ${deadReceiver.skipped}`)
      }
    }
  } finally {
    for (const server of started) await server.stop()
    rmSync(tmp, { recursive: true, force: true })
  }

  // After the SQLite rounds, with every server above stopped: their figures stay comparable with earlier runs.
  const pgTmp = benchTmpDir()
  let postgres: PostgresFigures
  try {
    postgres = e2eOnly ? { servers: [], skipped: 'not run (--e2e-only)' } : hookgateBuilt() ? await measurePostgres({ tmp: pgTmp, secrets, plan, log }) : { servers: [], skipped: 'hookgate did not build' }
  } finally {
    rmSync(pgTmp, { recursive: true, force: true })
  }
  if (postgres.skipped !== undefined) skipped.push(`PostgreSQL round: ${postgres.skipped}`)

  const report: BenchReport = {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    date: new Date().toISOString(),
    durationSeconds: (Date.now() - startedAt) / 1000,
    loadAverage: { before: loadBefore, after: loadavg()[0] ?? NaN },
    machine,
    plan,
    clerkBodyBytes: Buffer.byteLength(loadDrafts(1)[0]?.body ?? ''),
    buildError,
    servers,
    chaindoc,
    endToEnd,
    deadReceiver,
    ordering,
    postgres,
    skipped
  }
  const markdown = renderReport(report)
  process.stdout.write(markdown)
  if (!existsSync(RESULTS_DIR)) mkdirSync(RESULTS_DIR, { recursive: true })
  // A quick or partial run never replaces the figures the README quotes.
  writeFileSync(join(RESULTS_DIR, quick ? 'quick.md' : e2eOnly || gatewayCores !== undefined ? 'e2e.md' : 'latest.md'), markdown)
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.stack ?? err.message : String(err))
  process.exitCode = 1
})
