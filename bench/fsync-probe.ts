// How long the disk took to fsync while a server was measured. On a virtual
// disk an fdatasync that takes 0.15 ms when idle can take tens of ms for a
// while after heavy writing, and a durable server's tail latency is then the
// disk's: every request waiting for that commit waits for it. The idle median
// in the machine line cannot show that; this probe samples the same file
// system during each round, for every server alike, so that a tail can be
// told apart from the server's own.
import { mkdtemp, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** One 4 KiB overwrite + fdatasync every INTERVAL_MS: a light load next to the servers' hundreds of commits per second. */
const INTERVAL_MS = 20

/** Runs `phase` while probing fsync latency in `dir`; returns its result and every probe's duration in ms. */
export async function withFsyncProbe<T> (dir: string, phase: () => Promise<T>): Promise<[T, number[]]> {
  const probeDir = await mkdtemp(join(dir, 'fsync-probe-'))
  const file = await open(join(probeDir, 'probe'), 'w')
  const page = Buffer.alloc(4096, 1)
  const samples: number[] = []
  let running = true
  // fs/promises runs the syscalls on libuv's pool, so the sender's event loop is not blocked.
  const probing = (async () => {
    while (running) {
      const start = performance.now()
      await file.write(page, 0, page.length, 0)
      await file.datasync()
      samples.push(performance.now() - start)
      await sleep(INTERVAL_MS)
    }
  })()
  try {
    return [await phase(), samples]
  } finally {
    running = false
    await probing
    await file.close()
    await rm(probeDir, { recursive: true, force: true })
  }
}
