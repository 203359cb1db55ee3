/**
 * The store taken away from a running gateway by something other than the
 * disk: another process holding SQLite's write lock, the writer thread dying
 * under load, and a second gateway started on the same file. Nothing
 * acknowledged may be lost, every sender is answered within the ingest
 * deadline, and no delivery is sent twice because of a second gateway.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { Pool } from 'undici'
import { buildApp } from '../../src/app.js'
import { packageRoot } from '../../src/package-root.js'
import { startChildGateway } from '../child-gateway.js'
import { sqlite, testConfig } from '../helper.js'
import { holdWriteLock } from '../lock-holder.js'
import {
  dbPathIn, gatewayConfigFile, genuineClerk, resend, runLoad, SECRETS, startTestReceiver, storedEvents, summary, Transcript, waitFor, type SignedRequest
} from './support.js'

const INGEST_TIMEOUT_MS = 1000

async function sendAll (pool: Pool, requests: readonly SignedRequest[], transcript: Transcript) {
  const started = performance.now()
  const answers = await resend(pool, requests, 10, transcript)
  return { answers, elapsedMs: performance.now() - started }
}

t.test('locked database: a second process holds the write lock; refusals come within the deadline, nothing refused is acknowledged', async (t) => {
  const dir = t.testdir()
  const dbPath = dbPathIn(dir)
  const transcript = new Transcript()
  const gateway = await startChildGateway(gatewayConfigFile(dir, dbPath, {}, { ingestTimeoutMs: INGEST_TIMEOUT_MS }))
  t.teardown(() => { gateway.child.kill('SIGKILL') })
  const pool = new Pool(gateway.url, { connections: 10 })
  t.teardown(() => pool.close())

  const before = Array.from({ length: 20 }, () => genuineClerk())
  const beforeAnswers = (await sendAll(pool, before, transcript)).answers
  const release = await holdWriteLock(t, dbPath)
  const during = Array.from({ length: 40 }, () => genuineClerk())
  const { answers: duringAnswers, elapsedMs } = await sendAll(pool, during, transcript)
  await release()
  const retried = (await sendAll(pool, during, transcript)).answers

  const acked = [...beforeAnswers.entries()].filter(([, a]) => a?.status === 200)
  const refused = [...duringAnswers.values()].filter((a) => a?.status === 503).length
  const stored = storedEvents(dbPath)
  const lost = acked.filter(([key, a]) => stored.get(key) !== a!.id).length
  const taken = [...retried.entries()].filter(([key, a]) => a?.status === 200 && stored.get(key) === a.id).length
  t.equal(acked.length, 20)
  t.equal(refused, 40, 'every webhook during the lock refused 503')
  // Four rounds of ten, each answered at the deadline: not 5 s of busy wait per item.
  t.ok(elapsedMs < 4 * INGEST_TIMEOUT_MS + 3000, `answered in ${Math.round(elapsedMs)} ms`)
  t.equal(lost, 0)
  t.equal(taken, 40, 'every refused webhook taken once resent')
  transcript.add(gateway.output.join(''))
  t.notMatch([...duringAnswers.values()].map((a) => JSON.stringify(a)).join(''), /SQLITE/, 'no SQLite internals in the answers')
  summary('store-contention locked-database', {
    tried: 60, acknowledged: acked.length, 'refused 503': refused, 'refusing ms': Math.round(elapsedMs), 'acknowledged during lock': [...duringAnswers.values()].filter((a) => a?.status === 200).length, lost, 'refused then taken': taken, crashes: gateway.child.exitCode === null ? 0 : 1
  })
  transcript.check(t, 'locked-database')
})

t.test('writer death: the writer thread is killed three times under load; nothing acknowledged is lost and service resumes', async (t) => {
  const dir = t.testdir()
  const config = testConfig(dir, { sources: { clerk: { provider: 'clerk', secret: SECRETS.clerk } }, logging: { level: 'silent' } })
  const fatal: Error[] = []
  const app = await buildApp(config, { onWriterFatal: (err) => fatal.push(err) })
  t.teardown(() => app.close())
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const pool = new Pool(url, { connections: 16 })
  t.teardown(() => pool.close())
  const transcript = new Transcript()

  let kills = 0
  const killer = (async () => {
    for (; kills < 3; kills++) {
      await waitFor(() => sqlite(app).writer.depth.inFlight > 0, 5000, 1)
      await sqlite(app).writer.kill()
    }
  })()
  const load = await runLoad(pool, { concurrency: 16, maxRequests: 1500, stop: new Promise(() => {}), transcript })
  await killer
  const after = (await resend(pool, [genuineClerk()], 1, transcript))
  const stored = storedEvents(config.storage.path)
  const lost = [...load.acked.entries()].filter(([key, a]) => stored.get(key) !== a.id).length
  t.equal(lost, 0, 'every acknowledged webhook is in the file')
  t.equal(load.unanswered, 0)
  t.same([...load.otherStatuses.keys()].filter((s) => s !== 503), [], 'refusals are 503')
  t.equal([...after.values()][0]?.status, 200, 'service resumed')
  t.equal(fatal.length, 0, 'three deaths in a minute are within the restart budget')
  summary('store-contention writer-death', {
    tried: load.tried, acknowledged: load.acked.size, 'refused 503': load.otherStatuses.get(503) ?? 0, 'writer killed': kills, lost, 'answered after': [...after.values()][0]?.status ?? 'none', 'gave up': fatal.length
  })
})

t.test('second process: a second gateway on the file exits 1 while deliveries are in flight, and none is sent twice', async (t) => {
  const dir = t.testdir()
  const dbPath = dbPathIn(dir)
  const transcript = new Transcript()
  const held: Array<() => void> = []
  // Holds every delivery until the second gateway has come and gone: they stay leased to the first.
  const receiver = await startTestReceiver(t, (_request, response) => { held.push(() => { if (!response.destroyed) response.writeHead(200).end('ok') }) })
  const extra = { destinations: { hooks: { url: receiver.url, concurrency: 10, timeoutMs: 60_000 } } }
  const first = await startChildGateway(gatewayConfigFile(dir, dbPath, extra))
  t.teardown(() => { first.child.kill('SIGKILL') })
  const pool = new Pool(first.url, { connections: 10 })
  t.teardown(() => pool.close())
  const requests = Array.from({ length: 10 }, () => genuineClerk())
  const answers = await resend(pool, requests, 10, transcript)
  t.ok(await waitFor(() => receiver.requests.length === 10, 10_000), 'ten deliveries in flight')

  const root = packageRoot()
  const second = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), 'start', '--config', gatewayConfigFile(dir, dbPath, extra)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  second.stderr.on('data', (c: Buffer) => { stderr += String(c) })
  second.stdout.on('data', (c: Buffer) => transcript.add(String(c)))
  const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)))
  transcript.add(stderr)
  t.equal(code, 1)
  t.match(stderr, `HG_ERR_STORAGE_IN_USE: Database ${dbPath} is in use by another gateway (pid ${first.child.pid}`)

  for (const answer of held.splice(0)) answer()
  const stored = storedEvents(dbPath)
  const acked = [...answers.entries()].filter(([, a]) => a?.status === 200)
  const lost = acked.filter(([key, a]) => stored.get(key) !== a!.id).length
  const twice = [...receiver.counts().values()].filter((n) => n > 1).length
  t.equal(acked.length, 10)
  t.equal(lost, 0)
  t.equal(twice, 0, 'no delivery sent twice')
  t.equal(receiver.requests.length, 10)
  summary('store-contention second-process', {
    'second gateway exit': code ?? 'signal', code: 'HG_ERR_STORAGE_IN_USE', 'deliveries in flight': 10, 'delivered twice': twice, acknowledged: acked.length, lost
  })
  transcript.add(first.output.join(''))
  transcript.check(t, 'second-process')
})
