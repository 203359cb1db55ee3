// Where the CPU went during a phase: the server's threads, the load
// generator, and every process that is not the bench's. Raw seconds, so that
// rounds add up; `cpuUse` turns a sample into the shares reported.
import { foreignCpuSeconds } from './machine.js'
import type { ServerProcess } from './server-process.js'

/** CPU seconds over `seconds` of wall time, in which the server answered `ok` requests with 2xx. */
export interface CpuSample {
  seconds: number
  ok: number
  server: number
  /** The event-loop thread (tid = pid). */
  main: number
  /** The hardest-working other thread: hookgate's SQLite writer. */
  busiestOther: number
  /** This process: autocannon or the paced sender. */
  loadGenerator: number
  /** Every process that is not the bench's (other people's work, kernel threads), on any core. */
  foreign: number
}

export async function withCpu<T extends { seconds: number, ok: number }> (server: ServerProcess, phase: () => Promise<T>): Promise<[T, CpuSample]> {
  const threadsBefore = server.threadCpuSeconds()
  const foreignBefore = foreignCpuSeconds()
  const selfBefore = process.cpuUsage()
  const result = await phase()
  const self = process.cpuUsage(selfBefore)
  const foreign = [...foreignCpuSeconds()].reduce((sum, [pid, seconds]) => sum + seconds - (foreignBefore.get(pid) ?? 0), 0)
  const used = [...server.threadCpuSeconds()].map(([tid, seconds]) => [tid, seconds - (threadsBefore.get(tid) ?? 0)] as const)
  const serverSeconds = used.reduce((sum, [, seconds]) => sum + seconds, 0)
  return [result, {
    seconds: result.seconds,
    ok: result.ok,
    server: serverSeconds,
    main: used.find(([tid]) => tid === server.pid)?.[1] ?? 0,
    busiestOther: Math.max(0, ...used.filter(([tid]) => tid !== server.pid).map(([, seconds]) => seconds)),
    loadGenerator: (self.user + self.system) / 1e6,
    foreign
  }]
}

export function addCpu (samples: readonly CpuSample[]): CpuSample {
  const sum = (pick: (s: CpuSample) => number): number => samples.reduce((total, s) => total + pick(s), 0)
  return {
    seconds: sum((s) => s.seconds),
    ok: sum((s) => s.ok),
    server: sum((s) => s.server),
    main: sum((s) => s.main),
    busiestOther: sum((s) => s.busiestOther),
    loadGenerator: sum((s) => s.loadGenerator),
    foreign: sum((s) => s.foreign)
  }
}

/**
 * Percent of one core, and server CPU per answered request in µs. The latter
 * is robust to a crowded machine, unlike req/s. Server well under 100% at full
 * load means it waited (fsync) or was crowded out; `foreign` should be near 0.
 */
export interface CpuUse {
  server: number
  loadGenerator: number
  foreign: number
  perRequestUs: { total: number, main: number, busiestOther: number, rest: number }
}

export function cpuUse (sample: CpuSample): CpuUse {
  const percent = (seconds: number): number => (100 * seconds) / sample.seconds
  const perRequest = (seconds: number): number => (1e6 * seconds) / sample.ok
  return {
    server: percent(sample.server),
    loadGenerator: percent(sample.loadGenerator),
    foreign: percent(sample.foreign),
    perRequestUs: {
      total: perRequest(sample.server),
      main: perRequest(sample.main),
      busiestOther: perRequest(sample.busiestOther),
      rest: perRequest(sample.server - sample.main - sample.busiestOther)
    }
  }
}
