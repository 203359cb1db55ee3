// `tsx bench/paced-profile.ts [rate] [seconds] [--cpu-prof] [--cores=0,1]`
// (after `npm run build`): one gateway forwarding to a receiver, paced at
// `rate` (default 1000/s) where group commit shares little, against the same
// gateway without a destination at the same rate. Prints gateway CPU per
// event by thread and the extra one delivery costs; --cpu-prof writes both
// gateways' profiles to bench/results/profiles/ (summarise them with
// bench/profile-summary.ts). A working loop, not the measurement of record.
import { mkdirSync, rmSync } from 'node:fs'
import { ackRun } from './ack-run.js'
import { cpuUse, withCpu, type CpuSample } from './cpu.js'
import { startHookgate } from './hookgate.js'
import { paced } from './load.js'
import { benchTmpDir, pinSelfToLoadCore } from './machine.js'
import { CLERK_PATH } from './measure.js'
import { startReceiver } from './receiver-process.js'
import { clerkDrafts, cursorOver, newSvixSecret, signClerk } from './requests.js'
import { summarise } from './stats.js'

const [rate = 1000, seconds = 10] = process.argv.slice(2).filter((a) => !a.startsWith('--')).map(Number)
const cores = process.argv.find((a) => a.startsWith('--cores='))?.slice('--cores='.length)
const nodeFlags = process.argv.includes('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', 'bench/results/profiles'] : []
const CONNECTIONS = 50

function perEvent (cpu: CpuSample): string {
  const u = cpuUse(cpu).perRequestUs
  return `${u.total.toFixed(0)} µs (main ${u.main.toFixed(0)} + writer ${u.busiestOther.toFixed(0)} + rest ${u.rest.toFixed(0)}), server ${cpuUse(cpu).server.toFixed(0)}% of a core`
}

async function main (): Promise<void> {
  const tmp = benchTmpDir()
  pinSelfToLoadCore()
  if (nodeFlags.length > 0) mkdirSync('bench/results/profiles', { recursive: true })
  const secrets = { clerk: newSvixSecret(), chaindoc: `chaindoc-bench-${newSvixSecret()}` }
  const drafts = cursorOver(clerkDrafts('P'))
  const sign = (n: number): ReturnType<typeof signClerk> => signClerk(drafts(n), secrets.clerk, CLERK_PATH)
  const receiver = await startReceiver()
  const forwarding = await startHookgate({ name: 'forwarding', parentDir: tmp, secrets, destinationUrl: receiver.url, nodeFlags, cores })
  const plain = await startHookgate({ name: 'plain', parentDir: tmp, secrets, nodeFlags, cores })
  try {
    for (const server of [forwarding, plain]) await paced(server.baseUrl, sign(rate), { ratePerSecond: rate, connections: CONNECTIONS, spin: false })
    const run = await ackRun(forwarding, receiver, sign(rate * seconds), rate, CONNECTIONS)
    const [plainRun, plainCpu] = await withCpu(plain, () => paced(plain.baseUrl, sign(rate * seconds), { ratePerSecond: rate, connections: CONNECTIONS, spin: false }))
    const latency = summarise(run.deliveries.map((d) => d.latencyMs))
    const a = cpuUse(run.cpu).perRequestUs
    const b = cpuUse(plainCpu).perRequestUs
    process.stdout.write([
      `${rate}/s for ${seconds} s: ack → delivery p50 ${latency.p50Ms.toFixed(2)} ms, p99 ${latency.p99Ms.toFixed(2)} ms, undelivered ${run.undelivered}; request → ack p99 ${run.ingest.latency.p99Ms.toFixed(2)} ms, not sent ${run.ingest.notSent}`,
      `  with a destination: ${perEvent(run.cpu)}`,
      `  without:            ${perEvent(plainCpu)}; request → ack p99 ${plainRun.latency.p99Ms.toFixed(2)} ms`,
      `  one delivery:       ${(a.total - b.total).toFixed(0)} µs (main ${(a.main - b.main).toFixed(0)} + writer ${(a.busiestOther - b.busiestOther).toFixed(0)} + rest ${(a.rest - b.rest).toFixed(0)})`,
      ''
    ].join('\n'))
  } finally {
    await forwarding.stop()
    await plain.stop()
    await receiver.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n')
  process.exitCode = 1
})
