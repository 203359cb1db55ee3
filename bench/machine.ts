// The machine the figures come from, and CPU pinning: servers on core 0, the
// load generator (this process) and the receiver on core 1, when taskset exists.
import { execFileSync, spawnSync } from 'node:child_process'
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { percentile } from './stats.js'

export const SERVER_CORE = 0
export const LOAD_CORE = 1

const tasksetUsable = ((): boolean => {
  if (cpus().length < 2) return false
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0
})()

export function pinning (): boolean {
  return tasksetUsable
}

/** [command, args] that run `argv` on one core, or unpinned without taskset. */
export function pinnedCommand (core: number | string, argv: readonly string[]): [string, string[]] {
  const [command = '', ...rest] = argv
  return tasksetUsable ? ['taskset', ['-c', String(core), command, ...rest]] : [command, rest]
}

/** Moves every thread of this process (V8 and libuv ones too: -a) to the load core. */
export function pinSelfToLoadCore (): void {
  if (tasksetUsable) execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' })
}

const USER_HZ = 100 // /proc/<pid>/stat counts in 1/100 s on every Linux ABI Node supports

function cpuSecondsFromStat (stat: string): number {
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ
}

/** CPU seconds (user + system, all threads) a process has used. */
export function processCpuSeconds (pid: number): number {
  return cpuSecondsFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
}

/** CPU seconds per thread id; threads that ended are missing. */
export function threadCpuSeconds (pid: number): Map<number, number> {
  const out = new Map<number, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), cpuSecondsFromStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')))
    } catch {} // the thread ended between the listing and the read
  }
  return out
}

/**
 * CPU seconds used so far by every process that is not this bench (this
 * process, its ancestors, its descendants): other people's work and kernel
 * threads. Per process, so exact, unlike per-core tick counts in /proc/stat,
 * which misjudge a lightly loaded core by a tick at every wake-up.
 */
export function foreignCpuSeconds (): Map<number, number> {
  const procs = new Map<number, { ppid: number, cpu: number }>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      procs.set(Number(entry), { ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), cpu: cpuSecondsFromStat(stat) })
    } catch {} // the process ended between the listing and the read
  }
  // Descendants first (not the ancestors' other children: those are someone else's), then ancestors.
  const own = new Set<number>([process.pid])
  for (let grew = true; grew;) {
    grew = false
    for (const [pid, { ppid }] of procs) {
      if (!own.has(pid) && own.has(ppid)) { own.add(pid); grew = true }
    }
  }
  for (let pid = procs.get(process.pid)?.ppid ?? 0; pid > 1 && !own.has(pid); pid = procs.get(pid)?.ppid ?? 0) own.add(pid)
  const foreign = new Map<number, number>()
  for (const [pid, { cpu }] of procs) if (!own.has(pid)) foreign.set(pid, cpu)
  return foreign
}

export interface Machine {
  cores: number
  cpuModel: string
  memoryGiB: number
  node: string
  kernel: string
  pinned: boolean
  /** Filesystem of the bench databases and the median time of one fdatasync there. */
  dbFilesystem: string
  fsyncMs: number
}

export function describeMachine (dbDir: string): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  return {
    cores: cpus().length,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    pinned: tasksetUsable,
    dbFilesystem: filesystemOf(dbDir),
    fsyncMs: fsyncMs(dbDir)
  }
}

function filesystemOf (dir: string): string {
  const result = spawnSync('df', ['-T', dir], { encoding: 'utf8' })
  return result.stdout?.split('\n')[1]?.split(/\s+/)[1] ?? 'unknown'
}

/** Median of 200 fdatasyncs of a 4 KiB append: the price of "one fsync" in the targets. */
function fsyncMs (dir: string): number {
  const probeDir = mkdtempSync(join(dir, 'fsync-'))
  const fd = openSync(join(probeDir, 'probe'), 'w')
  const page = Buffer.alloc(4096, 1)
  const samples: number[] = []
  try {
    for (let i = 0; i < 200; i++) {
      writeSync(fd, page)
      const start = performance.now()
      fdatasyncSync(fd)
      samples.push(performance.now() - start)
    }
  } finally {
    closeSync(fd)
    rmSync(probeDir, { recursive: true, force: true })
  }
  return percentile(samples.sort((a, b) => a - b), 50)
}

export function benchTmpDir (): string {
  return mkdtempSync(join(tmpdir(), 'hookgate-bench-'))
}
