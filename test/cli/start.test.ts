/**
 * `hookgate start` when it cannot start: a second gateway on a taken port
 * (and the running one's database) must exit non-zero with one line, and
 * touch nothing: no delivery sent, no lease reclaimed.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/sqlite/open.js'
import { packageRoot } from '../../src/package-root.js'
import { writeConfig } from '../child-gateway.js'
import { ingest } from '../fixtures/events.js'
import { startReceiver } from '../fixtures/receiver.js'
import { build, CLERK_SECRET } from '../helper.js'

function startGateway (configFile: string): Promise<{ code: number | string, stdout: string, stderr: string }> {
  const root = packageRoot()
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), 'start', '--config', configFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => { stdout += String(c) })
  child.stderr.on('data', (c: Buffer) => { stderr += String(c) })
  return new Promise((resolve) => {
    // Before the fix it kept running (and delivering): kill it so the test fails rather than hangs.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? signal ?? -1, stdout, stderr }) })
  })
}

t.test('a gateway that cannot listen exits 1 with one line, and delivers nothing and reclaims nothing', async (t) => {
  const receiver = await startReceiver(t, [])
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-taken-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const dbPath = join(dir, 'hookgate.db')
  const destinations = { hooks: { url: receiver.url } }

  // What the running gateway left in the database: one delivery due now, one leased to it (being sent).
  const first = await build(t, { config: { destinations }, dbPath })
  await ingest(first.app, 1)
  await ingest(first.app, 2)
  await first.app.hookgate.store.claimDeliveries({ now: first.clock.now(), owner: 'host:1:running', slots: { hooks: 1 }, limit: 1 })
  await first.app.close()

  // The running gateway's port.
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())))
  const port = (taken.address() as AddressInfo).port

  const config = writeConfig(dir, {
    server: { host: '127.0.0.1', port },
    storage: { path: dbPath },
    sources: { clerk: { provider: 'clerk', secret: CLERK_SECRET } },
    destinations,
    delivery: { pollIntervalMs: 50 }
  })
  const run = await startGateway(config)
  t.equal(run.code, 1, 'exits 1\n' + run.stdout + run.stderr)
  t.match(run.stderr, new RegExp(`^hookgate start: HG_ERR_LISTEN_FAILED: Cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use \\(is a gateway already running\\? stop it first, or set server\\.port\\)\\n$`))
  t.equal(receiver.requests.length, 0, 'no delivery was attempted')

  const db = openDatabase(dbPath, { readonly: true })
  t.teardown(() => db.close())
  t.match(db.prepare('SELECT status, attempts, locked_by FROM deliveries ORDER BY id').all(), [
    { status: 'pending', attempts: 1, locked_by: 'host:1:running' },
    { status: 'pending', attempts: 0, locked_by: null }
  ], "the running gateway's lease is left alone, the due delivery untouched")
  t.same(db.prepare('SELECT count(*) AS n FROM attempts').get(), { n: 0 }, 'no attempt recorded')
})

t.test('a configuration error exits 1 before anything opens the database', async (t) => {
  const dir = t.testdir()
  const config = writeConfig(dir, { server: { host: '127.0.0.1', port: 0 }, storage: { path: join(dir, 'never.db') }, sources: { clerk: { provider: 'clerck', secret: CLERK_SECRET } } })
  const run = await startGateway(config)
  t.equal(run.code, 1)
  t.match(run.stderr, /^hookgate start: HG_ERR_CONFIG_INVALID: Invalid configuration:\n.*sources\.clerk\.provider: /)
  t.equal(run.stdout, '', 'nothing started, nothing logged')
})
