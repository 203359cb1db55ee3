// Two benches on one machine measure each other, so a run takes a lock file
// in the temp directory and waits while another live run holds it.
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const LOCK_PATH = join(tmpdir(), 'hookgate-bench.lock')
const POLL_MS = 2_000

function holder (): number | null {
  try {
    const pid = Number(readFileSync(LOCK_PATH, 'utf8'))
    process.kill(pid, 0) // throws when no such process: a stale lock
    return pid
  } catch {
    return null
  }
}

function tryTake (): boolean {
  try {
    const fd = openSync(LOCK_PATH, 'wx')
    writeSync(fd, String(process.pid))
    closeSync(fd)
    return true
  } catch {
    return false
  }
}

/** Resolves with a release function once this process holds the lock; throws after `timeoutMs`. */
export async function acquireBenchLock (log: (line: string) => void, timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs
  let told = false
  while (!tryTake()) {
    const pid = holder()
    if (pid === null) {
      try { unlinkSync(LOCK_PATH) } catch {} // stale: its process is gone
      continue
    }
    if (Date.now() > deadline) throw new Error(`another bench (pid ${pid}) still holds ${LOCK_PATH}`)
    if (!told) log(`another bench is running (pid ${pid}); waiting for it, since two would measure each other…`)
    told = true
    await sleep(POLL_MS)
  }
  const release = (): void => {
    try {
      if (readFileSync(LOCK_PATH, 'utf8') === String(process.pid)) unlinkSync(LOCK_PATH)
    } catch {}
  }
  process.once('exit', release)
  return release
}
