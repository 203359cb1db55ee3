// One gateway per SQLite file: a second refuses to start, naming the file and
// the holder, before it reads or writes a row; a killed holder's lock is gone
// with it. Real child processes: the lock is the OS's, held per process.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { packageRoot } from '../../../src/package-root.js'
import { startChildGateway, writeConfig } from '../../child-gateway.js'
import { CLERK_SECRET, testConfig } from '../../helper.js'

const config = (dbPath: string) => ({
  server: { host: '127.0.0.1', port: 0, shutdownGraceMs: 1000 },
  storage: { path: dbPath },
  sources: { clerk: { provider: 'clerk', secret: CLERK_SECRET } },
  logging: { level: 'info' }
})

/** Runs `hookgate start` to its end (it is expected to refuse): exit code and stderr. */
function startToEnd (configFile: string): Promise<{ code: number | null, stderr: string, stdout: string }> {
  const root = packageRoot()
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), 'start', '--config', configFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  let stdout = ''
  child.stderr.on('data', (c: Buffer) => { stderr += String(c) })
  child.stdout.on('data', (c: Buffer) => { stdout += String(c) })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return new Promise((resolve) => child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stderr, stdout }) }))
}

t.test('a second gateway on the same file exits 1 naming the file and the holder; after the holder is killed, one starts', async (t) => {
  const dir = t.testdir()
  const dbPath = join(dir, 'hookgate.db')
  const first = await startChildGateway(writeConfig(dir, config(dbPath)))
  t.teardown(() => { first.child.kill('SIGKILL') })

  const second = await startToEnd(writeConfig(dir, config(dbPath)))
  t.equal(second.code, 1, 'refused')
  t.match(second.stderr, 'HG_ERR_STORAGE_IN_USE')
  t.match(second.stderr, dbPath, 'names the file')
  t.match(second.stderr, `pid ${first.child.pid}`, 'names the holder')
  t.notMatch(second.stdout, 'Server listening', 'never listened')

  first.child.kill('SIGKILL')
  await first.exited
  const third = await startChildGateway(writeConfig(dir, config(dbPath)))
  t.teardown(() => { third.child.kill('SIGKILL') })
  const health = await fetch(`${third.url}/health/live`)
  t.equal(health.status, 200, 'the lock died with its holder: a restart after a crash needs no clean-up')
})

t.test('in one process too, a second app on the file is refused before it migrates, and the first one\'s close frees the file', async (t) => {
  const dir = t.testdir()
  const first = await buildApp(testConfig(dir, { logging: { level: 'silent' } }))
  await t.rejects(buildApp(testConfig(dir, { logging: { level: 'silent' } })), { code: 'HG_ERR_STORAGE_IN_USE', message: new RegExp(`pid ${process.pid} on `) })
  await first.close()
  const again = await buildApp(testConfig(dir, { logging: { level: 'silent' } }))
  await again.close()
  t.ok(existsSync(join(dir, 'hookgate.db.lock')))
})

t.test('a fresh directory gets its lock without a database yet', async (t) => {
  const dir = join(t.testdir(), 'new', 'nested')
  const app = await buildApp(testConfig(dir, { logging: { level: 'silent' } }))
  t.teardown(() => app.close())
  t.ok(existsSync(join(dir, 'hookgate.db.holder')))
})
