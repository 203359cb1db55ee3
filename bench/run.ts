// `npm run bench`: hookgate against two baselines on the same requests, then
// end to end through a receiver. Prints the report and writes
// bench/results/latest.md. Flags: --quick (short smoke run), --cpu-prof
// (profiles every hookgate child into bench/results/profiles/).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { hookgateBuilt, startHookgate } from './hookgate.js'
import { benchTmpDir, describeMachine, pinSelfToLoadCore } from './machine.js'
import { measureChaindoc, measureServer, type ClerkRequests, type ServerFigures } from './measure.js'
import { FULL_PLAN, QUICK_PLAN } from './plan.js'
import { measureDeadReceiver, measureEndToEnd, type DeadReceiverFigures, type EndToEndFigures } from './e2e.js'
import { renderReport, type BenchReport } from './report.js'
import { clerkDrafts, newSvixSecret } from './requests.js'
import { freePort, startServer, type ServerProcess } from './server-process.js'

const quick = process.argv.includes('--quick')
const cpuProf = process.argv.includes('--cpu-prof')
const plan = quick ? QUICK_PLAN : FULL_PLAN
const RESULTS_DIR = 'bench/results'
const PROFILES_DIR = join(RESULTS_DIR, 'profiles')
const log = (line: string): void => { process.stderr.write(line + '\n') }

/**
 * hookgate runs from its own build (`npm run build`); the bench's children
 * from bench/tsconfig.json. Returns the first lines of any error: a gateway
 * that does not build is reported and skipped, the baselines still run.
 */
function build (): string | null {
  const npm = process.env.npm_execpath
  const steps: Array<[string, string[]]> = [
    npm === undefined ? ['npm', ['run', 'build']] : [process.execPath, [npm, 'run', 'build']],
    [process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'bench/tsconfig.json']]
  ]
  const errors: string[] = []
  for (const [command, args] of steps) {
    try {
      execFileSync(command, args, { stdio: 'pipe' })
    } catch (err) {
      const output = String((err as { stdout?: Buffer }).stdout ?? err)
      errors.push(`${args.slice(-2).join(' ')}: ${output.split('\n').filter((l) => l.includes('error')).slice(0, 3).join(' | ')}`)
    }
  }
  return errors.length === 0 ? null : errors.join('\n')
}

async function startBaseline (name: string, script: string, env: Record<string, string>): Promise<ServerProcess> {
  return startServer({ name, args: [join('dist/bench/servers', script)], port: await freePort(), env })
}

async function main (): Promise<void> {
  const startedAt = Date.now()
  const loadBefore = loadavg()[0] ?? NaN
  log('building (npm run build, bench/tsconfig.json)…')
  const buildError = build()
  if (buildError !== null) log(`tsc reported errors (continuing with what it emitted):\n${buildError}`)

  const tmp = benchTmpDir()
  const machine = describeMachine(tmp)
  pinSelfToLoadCore()
  const secrets = { clerk: newSvixSecret(), chaindoc: `chaindoc-bench-${newSvixSecret()}` }
  const requests: ClerkRequests = { secret: secrets.clerk, warmup: clerkDrafts('W'), load: clerkDrafts('L'), rate: clerkDrafts('R') }
  const nodeFlags = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', PROFILES_DIR] : []
  if (cpuProf) mkdirSync(PROFILES_DIR, { recursive: true })
  const skipped: string[] = []
  const servers: ServerFigures[] = []
  let chaindoc: BenchReport['chaindoc']
  let endToEnd: EndToEndFigures | undefined
  let deadReceiver: DeadReceiverFigures | undefined

  try {
    const runs: Array<{ key: 'a' | 'b' | 'c', label: string, start: () => Promise<ServerProcess> }> = [
      { key: 'a', label: 'hookgate (durable inbox)', start: () => startHookgate({ name: 'hookgate', parentDir: tmp, secrets, nodeFlags }) },
      { key: 'b', label: 'verify only (Fastify + svix, stores nothing)', start: () => startBaseline('verify-only', 'verify-only.js', { SECRET: secrets.clerk }) },
      { key: 'c', label: 'naive durable (Fastify + svix + SQLite FULL per request)', start: () => startBaseline('naive-durable', 'naive-durable.js', { SECRET: secrets.clerk, DB_PATH: join(tmp, `naive-${Date.now()}.db`) }) }
    ]
    for (const run of runs) {
      if (run.key === 'a' && !hookgateBuilt()) {
        skipped.push('hookgate: dist/src/main.js is missing (the gateway did not build)')
        continue
      }
      log(`(${run.key}) ${run.label}`)
      const server = await run.start()
      try {
        const figures = await measureServer(server, requests, plan, log)
        servers.push({ ...figures, name: `(${run.key}) ${server.name}` })
        if (run.key === 'a') {
          const result = await measureChaindoc(server, secrets.chaindoc, figures.throughput.requestsPerSecond, plan)
          chaindoc = { result, memory: server.memory() }
          log(`  chaindoc: ${result.requestsPerSecond.toFixed(0)} req/s, non-2xx ${result.non2xx}`)
        }
      } finally {
        await server.stop()
      }
    }

    if (hookgateBuilt()) {
      const plainRequestsPerSecond = servers.find((s) => s.name.startsWith('(a)'))?.throughput.requestsPerSecond ?? NaN
      const ctx = { tmp, secrets, plan, nodeFlags, log, plainRequestsPerSecond }
      log('end to end: hookgate → receiver on 127.0.0.1')
      endToEnd = await measureEndToEnd(ctx)
      if (endToEnd.skipped !== undefined) skipped.push(`end to end: ${endToEnd.skipped}`)
      log(`ingest with ${plan.deadPendingEvents} deliveries pending to a dead receiver`)
      deadReceiver = await measureDeadReceiver(ctx)
      if (deadReceiver.skipped !== undefined) skipped.push(`dead receiver: ${deadReceiver.skipped}`)
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }

  const report: BenchReport = {
    command: `npm run bench${quick ? ' -- --quick' : ''}`,
    date: new Date().toISOString(),
    durationSeconds: (Date.now() - startedAt) / 1000,
    loadAverage: { before: loadBefore, after: loadavg()[0] ?? NaN },
    machine,
    plan,
    clerkBodyBytes: Buffer.byteLength(requests.load(1)[0]?.body ?? ''),
    buildError,
    servers,
    chaindoc,
    endToEnd,
    deadReceiver,
    skipped
  }
  const markdown = renderReport(report)
  process.stdout.write(markdown)
  if (!existsSync(RESULTS_DIR)) mkdirSync(RESULTS_DIR, { recursive: true })
  // A quick run is a smoke test: it never replaces the figures the README quotes.
  writeFileSync(join(RESULTS_DIR, quick ? 'quick.md' : 'latest.md'), markdown)
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.stack ?? err.message : String(err))
  process.exitCode = 1
})
