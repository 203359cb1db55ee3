// Where the CPU went during a phase: the server's threads, anything else on
// its core, the load generator, anything else on the load core. Raw seconds,
// so that rounds add up; `cpuUse` turns a sample into the shares reported.
import { coreBusySeconds, LOAD_CORE, pinning, SERVER_CORE } from './machine.js'
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
  /** Anything else on the server's core: other processes, steal. NaN when nothing is pinned. */
  others: number
  /** This process: autocannon or the paced sender. */
  loadGenerator: number
  /** Anything else on the load core (the receiver in end-to-end phases). NaN when nothing is pinned. */
  othersOnLoadCore: number
}

export async function withCpu<T extends { seconds: number, ok: number }> (server: ServerProcess, phase: () => Promise<T>): Promise<[T, CpuSample]> {
  const threadsBefore = server.threadCpuSeconds()
  const coreBefore = coreBusySeconds(SERVER_CORE)
  const loadCoreBefore = coreBusySeconds(LOAD_CORE)
  const selfBefore = process.cpuUsage()
  const result = await phase()
  const self = process.cpuUsage(selfBefore)
  const used = [...server.threadCpuSeconds()].map(([tid, seconds]) => [tid, seconds - (threadsBefore.get(tid) ?? 0)] as const)
  const serverSeconds = used.reduce((sum, [, seconds]) => sum + seconds, 0)
  const loadGenerator = (self.user + self.system) / 1e6
  return [result, {
    seconds: result.seconds,
    ok: result.ok,
    server: serverSeconds,
    main: used.find(([tid]) => tid === server.pid)?.[1] ?? 0,
    busiestOther: Math.max(0, ...used.filter(([tid]) => tid !== server.pid).map(([, seconds]) => seconds)),
    others: pinning() ? Math.max(0, coreBusySeconds(SERVER_CORE) - coreBefore - serverSeconds) : NaN,
    loadGenerator,
    othersOnLoadCore: pinning() ? Math.max(0, coreBusySeconds(LOAD_CORE) - loadCoreBefore - loadGenerator) : NaN
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
    others: sum((s) => s.others),
    loadGenerator: sum((s) => s.loadGenerator),
    othersOnLoadCore: sum((s) => s.othersOnLoadCore)
  }
}

/**
 * Percent of one core, and server CPU per answered request in µs. The latter
 * is robust to a crowded machine, unlike req/s. Server well under 100% at full
 * load means it waited (fsync) or was crowded out; `others` should be near 0.
 */
export interface CpuUse {
  server: number
  others: number
  loadGenerator: number
  othersOnLoadCore: number
  perRequestUs: { total: number, main: number, busiestOther: number, rest: number }
}

export function cpuUse (sample: CpuSample): CpuUse {
  const percent = (seconds: number): number => (100 * seconds) / sample.seconds
  const perRequest = (seconds: number): number => (1e6 * seconds) / sample.ok
  return {
    server: percent(sample.server),
    others: percent(sample.others),
    loadGenerator: percent(sample.loadGenerator),
    othersOnLoadCore: percent(sample.othersOnLoadCore),
    perRequestUs: {
      total: perRequest(sample.server),
      main: perRequest(sample.main),
      busiestOther: perRequest(sample.busiestOther),
      rest: perRequest(sample.server - sample.main - sample.busiestOther)
    }
  }
}
