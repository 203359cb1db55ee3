/**
 * The disk fills up or turns read-only under a running gateway: ingest must
 * answer 503 HG_ERR_STORAGE_UNAVAILABLE and acknowledge nothing, keep
 * refusing forged requests with their 401, and take webhooks again by itself
 * once the fault clears. Faults are real: a small tmpfs filled to ENOSPC, and
 * an ext4 loop device forced read-only by the kernel's error path. Each needs
 * root and mount(2); a case that cannot be produced here is skipped with its
 * reason, never faked.
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import t, { type Test } from 'tap'
import { Pool } from 'undici'
import { startChildGateway, type ChildGateway } from '../child-gateway.js'
import {
  gatewayConfigFile, genuineClerk, resend, sleep, storedEvents, summary, svixSignature, Transcript, waitFor, type SignedRequest
} from './support.js'

const BEFORE = 20
const DURING = 40
const RECOVERY_WAIT_MS = 10_000

function run (command: string, args: string[]): string | Error {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    const e = err as { stderr?: string, message: string }
    return new Error(`${command} ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`)
  }
}

/** Mounts a `sizeMb` tmpfs at dir, or says why it cannot. */
function mountTmpfs (dir: string, sizeMb: number): string | null {
  if (process.getuid?.() !== 0) return 'not root: mount(2) needs CAP_SYS_ADMIN'
  const result = run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir])
  return result instanceof Error ? result.message : null
}

/** Processes with a file open under dir (from /proc), for a failure message. */
function holders (dir: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
        if (target.startsWith(dir + '/')) found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120)}: ${target}`)
      }
    } catch {}
  }
  return found
}

/** Unmounts, retrying for a few seconds while something still holds a file; lazily as a last resort. Returns why it had to. */
async function unmount (dir: string): Promise<string | null> {
  const deadline = Date.now() + 5000
  let failure = run('umount', [dir])
  while (failure instanceof Error && Date.now() < deadline) {
    await sleep(100)
    failure = run('umount', [dir])
  }
  if (!(failure instanceof Error)) return null
  const why = `${failure.message}; holders: ${holders(dir).join(' | ') || 'none found'}`
  run('umount', ['-l', dir])
  return why
}

/** Writes zeros until the file system refuses: 64 KiB at a time, then 512 bytes, so nothing is left. */
function fillDisk (file: string): number {
  const fd = openSync(file, 'w')
  let written = 0
  try {
    for (const size of [64 * 1024, 512]) {
      const chunk = Buffer.alloc(size)
      for (;;) {
        try { written += writeSync(fd, chunk) } catch { break }
      }
    }
  } finally {
    closeSync(fd)
  }
  return written
}

interface Answer { status: number, code?: string, id?: string, duplicate?: boolean }

async function post (pool: Pool, request: SignedRequest, transcript: Transcript): Promise<Answer> {
  const res = await pool.request({ path: '/webhooks/clerk', method: 'POST', headers: request.headers, body: request.body })
  const text = await res.body.text()
  transcript.add(text)
  return { status: res.statusCode, ...JSON.parse(text) as Omit<Answer, 'status'> }
}

async function get (pool: Pool, path: string, transcript: Transcript): Promise<number> {
  const res = await pool.request({ path, method: 'GET' })
  transcript.add(await res.body.text())
  return res.statusCode
}

function forged (): SignedRequest {
  const request = genuineClerk()
  const ts = Number(request.headers['svix-timestamp'])
  const other = 'whsec_' + Buffer.alloc(32, 9).toString('base64')
  return { ...request, headers: { ...request.headers, 'svix-signature': svixSignature(other, request.svixId, ts, Buffer.from(request.body)) } }
}

interface FaultRun {
  readonly gateway: ChildGateway
  readonly pool: Pool
  readonly dbPath: string
  readonly transcript: Transcript
}

/**
 * Sends BEFORE webhooks (all 200), applies the fault, sends DURING webhooks
 * (each must be 503 HG_ERR_STORAGE_UNAVAILABLE), checks the probes and that a
 * forged request still gets its 401. Returns the acknowledged and refused requests.
 */
async function underFault (t: Test, run: FaultRun, applyFault: () => void) {
  const { pool, transcript } = run
  const acked = new Map<string, string>()
  for (let i = 0; i < BEFORE; i++) {
    const request = genuineClerk()
    const answer = await post(pool, request, transcript)
    if (answer.status === 200) acked.set(request.svixId, answer.id!)
  }
  t.equal(acked.size, BEFORE, `${BEFORE} webhooks stored before the fault`)

  applyFault()
  const refused: SignedRequest[] = []
  const during = new Map<string, number>()
  for (let i = 0; i < DURING; i++) {
    const request = genuineClerk()
    const answer = await post(pool, request, transcript)
    const key = `${answer.status} ${answer.code ?? ''}`.trim()
    during.set(key, (during.get(key) ?? 0) + 1)
    if (answer.status === 200) acked.set(request.svixId, answer.id!)
    else refused.push(request)
  }
  t.same(Object.fromEntries(during), { [`503 HG_ERR_STORAGE_UNAVAILABLE`]: DURING }, `every webhook during the fault is answered 503 HG_ERR_STORAGE_UNAVAILABLE`)
  t.equal(await get(pool, '/health/ready', transcript), 503, '/health/ready says 503 during the fault')
  t.equal(await get(pool, '/health/live', transcript), 200, '/health/live still answers')
  t.equal((await post(pool, forged(), transcript)).status, 401, 'a forged request still gets its 401')
  return { acked, refused, during }
}

/** The refused requests must not be in the file; sent again now, each is new (200, not a duplicate). */
async function afterRecovery (t: Test, run: FaultRun, acked: Map<string, string>, refused: readonly SignedRequest[]) {
  const stored = storedEvents(run.dbPath)
  t.same(refused.filter((r) => stored.has(r.svixId)).map((r) => r.svixId), [], 'none of the refused webhooks was stored')
  t.same([...acked].filter(([key, id]) => stored.get(key) !== id), [], 'every acknowledged webhook is stored')
  const answers = await resend(run.pool, refused, 4, run.transcript)
  t.same(refused.filter((r) => answers.get(r.svixId)?.status !== 200 || answers.get(r.svixId)?.duplicate !== false).length, 0,
    `the ${refused.length} refused webhooks are taken when sent again, as new events`)
  return refused.filter((r) => answers.get(r.svixId)?.status === 200).length
}

/** Once the fault is cleared: taken again, ready again, in the same process; then afterRecovery's checks. Returns how many refused were taken. */
async function recoveredInPlace (t: Test, run: FaultRun, acked: Map<string, string>, refused: readonly SignedRequest[], cleared: string): Promise<number> {
  const recovered = await waitFor(async () => (await post(run.pool, genuineClerk(), transcript)).status === 200, RECOVERY_WAIT_MS, 100)
  t.ok(recovered, `a webhook is taken again once ${cleared}, without a restart`)
  // Readiness is probed at most once a second: the fault's 503 may be served until the next probe.
  t.ok(await waitFor(async () => await get(run.pool, '/health/ready', transcript) === 200, 5000, 100), '/health/ready says 200 again')
  const resent = await afterRecovery(t, run, acked, refused)
  t.equal(run.gateway.child.exitCode, null, 'the same process ran throughout')
  return resent
}

/** The counts every storage-fault summary line starts with. */
function faultCounts (run: Pick<FaultRun, 'dbPath'>, acked: Map<string, string>, refused: readonly SignedRequest[], resent: number): Record<string, number> {
  return {
    tried: BEFORE + DURING, acknowledged: acked.size, 'refused 503': refused.length, 'acknowledged during fault': acked.size - BEFORE,
    lost: [...acked].filter(([key, id]) => storedEvents(run.dbPath).get(key) !== id).length,
    'refused then taken': resent
  }
}

/**
 * A scratch folder outside tap's testdir (tap would rm -rf through a mount
 * left behind) and a stack of clean-ups run in reverse: gateways, then mounts.
 */
function scratch (t: Test): { dir: string, later: (fn: () => unknown) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-storage-'))
  const stack: Array<() => unknown> = [() => rmSync(dir, { recursive: true, force: true })]
  t.teardown(async () => { for (const fn of stack.reverse()) await fn() })
  return { dir, later: (fn) => { stack.push(fn) } }
}

async function startOn (dir: string, dbPath: string, later: (fn: () => unknown) => void): Promise<FaultRun> {
  const gateway = await startChildGateway(gatewayConfigFile(dir, dbPath))
  const pool = new Pool(gateway.url, { connections: 4 })
  later(async () => {
    await pool.destroy()
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL')
    await gateway.exited
    transcript.add(gateway.output.join(''))
  })
  return { gateway, pool, dbPath, transcript }
}

const transcript = new Transcript()

t.test('disk full: 503 while a tmpfs is full, nothing acknowledged, recovers by itself when space is freed', async (t) => {
  const { dir, later } = scratch(t)
  const mnt = join(dir, 'mnt')
  mkdirSync(mnt)
  const why = mountTmpfs(mnt, 4)
  if (why !== null) {
    summary('storage-faults disk-full', { skipped: why })
    return t.pass('disk full', { skip: `cannot mount a tmpfs here: ${why}` })
  }
  later(() => unmount(mnt))
  const run = await startOn(dir, join(mnt, 'hookgate.db'), later)
  const filler = join(mnt, 'filler')
  let filled = 0
  const { acked, refused } = await underFault(t, run, () => { filled = fillDisk(filler) })

  rmSync(filler)
  const resent = await recoveredInPlace(t, run, acked, refused, 'the filler is gone')
  summary('storage-faults disk-full', {
    ...faultCounts(run, acked, refused, resent), 'filler MB': (filled / 2 ** 20).toFixed(1), restarts: 0, crashes: run.gateway.child.exitCode === null ? 0 : 1
  })
})

t.test('read-only: 503 while the file system is read-only, nothing acknowledged', async (t) => {
  // A tmpfs cannot be remounted read-only while the database is open for
  // writing (EBUSY), and chmod does not stop root; ext4's error path can:
  // errors=remount-ro turns the mount read-only under open files.
  const { dir, later } = scratch(t)
  const mnt = join(dir, 'mnt')
  mkdirSync(mnt)
  const image = join(dir, 'ext4.img')
  const skip = (why: string) => {
    summary('storage-faults read-only', { skipped: why })
    t.pass('read-only', { skip: `cannot produce a read-only file system here: ${why}` })
  }
  if (process.getuid?.() !== 0) return skip('not root')
  for (const step of [run('truncate', ['-s', '16M', image]), run('mkfs.ext4', ['-q', '-F', '-O', '^has_journal', image])]) {
    if (step instanceof Error) return skip(step.message)
  }
  const mounted = run('mount', ['-o', 'loop,errors=remount-ro', image, mnt])
  if (mounted instanceof Error) return skip(mounted.message)
  later(() => unmount(mnt))
  const device = basename(String(run('findmnt', ['-n', '-o', 'SOURCE', mnt])).trim())
  const trigger = `/sys/fs/ext4/${device}/trigger_fs_error`

  const dbPath = join(mnt, 'hookgate.db')
  const first = await startOn(dir, dbPath, later)
  // 6.x shows an errored ext4 as 'rw,…,emergency_ro'; older kernels as 'ro'.
  const isReadOnly = () => {
    const options = String(run('findmnt', ['-n', '-o', 'OPTIONS', mnt])).trim().split(',')
    return options.includes('ro') || options.includes('emergency_ro')
  }
  let readOnly = false
  const { acked, refused } = await underFault(t, first, () => {
    execFileSync('sh', ['-c', `echo hookgate-reliability > ${trigger}`])
    readOnly = isReadOnly()
  })
  t.ok(readOnly, 'the kernel turned the mount read-only')

  // Clearing the fault: remount read-write if the kernel allows it (older
  // kernels do); 6.x marks it emergency_ro, which only an unmount clears.
  const remount = run('mount', ['-o', 'remount,rw', mnt])
  let inPlace: boolean | string
  let run2 = first
  if (!(remount instanceof Error) && !isReadOnly()) {
    inPlace = await waitFor(async () => (await post(first.pool, genuineClerk(), transcript)).status === 200, RECOVERY_WAIT_MS, 100)
    t.ok(inPlace, 'a webhook is taken again once the mount is read-write, without a restart')
  } else {
    const why = remount instanceof Error ? remount.message.split('\n')[0] : 'still emergency_ro after remount,rw'
    inPlace = `not testable: ${why} (the kernel keeps an errored ext4 read-only until unmounted)`
    t.comment(`recovery in place ${inPlace}; restarting on a fresh mount instead`)
    first.gateway.child.kill('SIGTERM')
    t.equal(await first.gateway.exited, 0, 'the gateway on a read-only disk still stops cleanly on SIGTERM')
    await first.pool.destroy()
    const lazy = await unmount(mnt)
    if (lazy !== null) return t.fail(`the read-only mount could not be unmounted: ${lazy}`)
    const again = run('mount', ['-o', 'loop,errors=remount-ro', image, mnt])
    if (again instanceof Error) return t.fail(again.message)
    later(() => unmount(mnt))
    run2 = await startOn(dir, dbPath, later)
  }
  const resent = await afterRecovery(t, run2, acked, refused)
  summary('storage-faults read-only', {
    ...faultCounts(run2, acked, refused, resent), 'recovered in place': inPlace === true ? 'yes' : 'no (restart: emergency_ro)', crashes: 0
  })
})

t.test('read-only files: 503 while the database and its WAL are immutable, recovers by itself when cleared', async (t) => {
  // The file-level fault, as an operator or a backup tool can cause it under
  // a running gateway. chmod does not stop root and does not touch an
  // already-open descriptor; the immutable attribute does both (writes get
  // EPERM) and clears without an unmount, so this is the read-only fault
  // whose recovery in place can be checked on every kernel. The -shm index
  // is left alone: it is mmap-ed, and a write fault there is SIGBUS, which
  // no program survives and which no chattr of the data files causes.
  const { dir, later } = scratch(t)
  const dbPath = join(dir, 'hookgate.db')
  const files = [dbPath, `${dbPath}-wal`]
  const skip = (why: string) => {
    summary('storage-faults read-only-files', { skipped: why })
    t.pass('read-only files', { skip: `cannot make a file immutable here: ${why}` })
  }
  if (process.getuid?.() !== 0) return skip('not root: chattr +i needs CAP_LINUX_IMMUTABLE')
  const probe = join(dir, 'probe')
  writeFileSync(probe, '')
  const probed = run('chattr', ['+i', probe])
  if (probed instanceof Error) return skip(probed.message)
  run('chattr', ['-i', probe])

  const clear = () => files.map((file) => run('chattr', ['-i', file])).find((r) => r instanceof Error)
  // Registered before the gateway's clean-up, so it runs after it: the scratch folder can then be removed.
  later(clear)
  const first = await startOn(dir, dbPath, later)
  const { acked, refused } = await underFault(t, first, () => {
    for (const file of files) {
      const result = run('chattr', ['+i', file])
      if (result instanceof Error) throw result
    }
  })
  t.equal(clear(), undefined, 'the immutable attribute is cleared')
  const resent = await recoveredInPlace(t, first, acked, refused, 'the files are writable')
  summary('storage-faults read-only-files', {
    ...faultCounts(first, acked, refused, resent), restarts: 0, crashes: first.gateway.child.exitCode === null ? 0 : 1
  })
})

t.test('nothing the gateway said during storage faults carries a secret', async (t) => {
  await sleep(0)
  transcript.check(t, 'storage-faults')
})
