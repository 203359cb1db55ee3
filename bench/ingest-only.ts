// `tsx bench/ingest-only.ts [rounds] [seconds] [--dead]`: a short loop for working
// on ingest speed, under a minute. hookgate (from its build: `npm run build`) and the
// verify-only baseline, interleaved rounds at 50 connections, with server CPU
// per request; --dead adds a hookgate forwarding to a closed port. Prints
// only; `npm run bench` is the measurement of record.
import { rmSync } from 'node:fs'
import { cpuUse } from './cpu.js'
import { startHookgate } from './hookgate.js'
import { benchTmpDir, pinSelfToLoadCore } from './machine.js'
import { compareServers, type Contender } from './measure.js'
import { FULL_PLAN } from './plan.js'
import { clerkDrafts, cursorOver, newSvixSecret } from './requests.js'
import { freePort, startBaseline, type ServerProcess } from './server-process.js'

const [rounds = 3, seconds = 3] = process.argv.slice(2).filter((a) => !a.startsWith('--')).map(Number)
const plan = { ...FULL_PLAN, rounds, throughputSeconds: seconds, fixedRateSeconds: 0.5 }

async function main (): Promise<void> {
  const tmp = benchTmpDir()
  pinSelfToLoadCore()
  const secrets = { clerk: newSvixSecret(), chaindoc: `chaindoc-bench-${newSvixSecret()}` }
  const loadDrafts = clerkDrafts('L')
  const rateDrafts = clerkDrafts('R')
  const started: ServerProcess[] = []
  try {
    const hookgate = await startHookgate({ name: 'hookgate', parentDir: tmp, secrets })
    started.push(hookgate)
    const verifyOnly = await startBaseline('verify-only', 'verify-only.js', { SECRET: secrets.clerk })
    started.push(verifyOnly)
    const servers: Array<[string, ServerProcess]> = [['(a) hookgate', hookgate], ['(b) verify-only', verifyOnly]]
    if (process.argv.includes('--dead')) {
      // One destination on a port nobody listens on: the dead-receiver case.
      const dead = await startHookgate({ name: 'hookgate-dead', parentDir: tmp, secrets, destinationUrl: `http://127.0.0.1:${await freePort()}/hooks` })
      started.push(dead)
      servers.push(['hookgate, dead receiver', dead])
    }
    const contenders: Contender[] = servers
      .map(([name, server]) => ({ name: name as string, server: server as ServerProcess, load: cursorOver(loadDrafts), rate: cursorOver(rateDrafts), estimate: 0 }))
    const figures = await compareServers(contenders, clerkDrafts('W')(plan.warmupSeconds * plan.warmupRateCeiling), secrets.clerk, plan, tmp, (line) => process.stderr.write(line + '\n'))
    for (const f of figures) {
      const use = cpuUse(f.throughput.cpu)
      const us = use.perRequestUs
      process.stdout.write(`${f.name}: ${f.throughput.merged.requestsPerSecond.toFixed(0)} req/s (rounds ${f.throughput.rounds.map((r) => r.requestsPerSecond.toFixed(0)).join(', ')}), ` +
        `CPU µs/req ${us.total.toFixed(0)} (${us.main.toFixed(0)} + ${us.busiestOther.toFixed(0)} + ${us.rest.toFixed(0)}), server ${use.server.toFixed(0)}%, other processes ${use.foreign.toFixed(0)}%\n`)
    }
    const [a, b] = figures
    if (a !== undefined && b !== undefined) process.stdout.write(`ratio hookgate / verify-only: ${(a.throughput.merged.requestsPerSecond / b.throughput.merged.requestsPerSecond).toFixed(2)}×\n`)
  } finally {
    for (const server of started) await server.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n')
  process.exitCode = 1
})
