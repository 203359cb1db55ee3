// Two processes migrate one fresh file at the same moment: each file runs
// once. The applied list is read again inside each file's transaction, under
// the write lock; read once before, it is stale for the process that waited,
// which then ran a file the other had already applied.
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { migrate } from '../../../src/db/sqlite/migrate.js'
import { openDatabase } from '../../../src/db/sqlite/open.js'
import { packageRoot } from '../../../src/package-root.js'

function migrator (script: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: packageRoot(), stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out += String(c) })
  child.stderr.on('data', (c: Buffer) => { out += String(c) })
  const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
  const done = new Promise<{ code: number | null, out: string }>((resolve) => child.once('exit', (code) => resolve({ code, out })))
  return { child, ready, done }
}

t.test('two processes migrating one fresh file at once: every file runs once, neither fails', async (t) => {
  const dir = t.testdir()
  const migrations = join(dir, 'migrations')
  mkdirSync(migrations)
  // Slow (a second or so of inserts under the write lock), and not re-runnable: a second run fails on CREATE TABLE.
  writeFileSync(join(migrations, '0001_slow.sql'), 'CREATE TABLE numbers (n INTEGER); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) INSERT INTO numbers SELECT x FROM c;')
  writeFileSync(join(migrations, '0002_more.sql'), 'CREATE TABLE more (n INTEGER);')
  const dbPath = join(dir, 'hookgate.db')
  openDatabase(dbPath).close()
  const script = join(dir, 'migrate.ts')
  writeFileSync(script, `
import { migrate } from ${JSON.stringify(pathToFileURL(join(packageRoot(), 'src/db/sqlite/migrate.ts')).href)}
import { openDatabase } from ${JSON.stringify(pathToFileURL(join(packageRoot(), 'src/db/sqlite/open.ts')).href)}
const db = openDatabase(${JSON.stringify(dbPath)})
process.stdout.write('ready\\n')
process.stdin.once('data', () => {
  process.stdout.write(JSON.stringify(migrate(db, ${JSON.stringify(migrations)}, 1)) + '\\n')
  db.close()
  process.exit(0)
})
`)
  const a = migrator(script)
  const b = migrator(script)
  await Promise.all([a.ready, b.ready])
  a.child.stdin.write('go\n')
  b.child.stdin.write('go\n')
  const [ra, rb] = await Promise.all([a.done, b.done])
  t.equal(ra.code, 0, ra.out)
  t.equal(rb.code, 0, rb.out)
  const db = openDatabase(dbPath)
  t.teardown(() => db.close())
  t.same(db.prepare('SELECT count(*) AS n FROM numbers').get(), { n: 1_000_000 }, 'the slow file ran once')
  t.same(db.prepare('SELECT name FROM migrations ORDER BY name').pluck().all(), ['0001_slow.sql', '0002_more.sql'])
  t.same(migrate(db, migrations, 2), [], 'nothing left to apply')
})
