/**
 * Storage faults from outside: a second real process that holds SQLite's
 * write lock (or, on PostgreSQL, another session's lock on the events table),
 * and the signed webhooks sent while it does.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import pg from 'pg'
import type { Test } from 'tap'
import type { Config } from '../src/config/load.js'
import { sampleEvent } from '../providers/samples.js'
import { signClerk } from '../providers/sign.js'
import { CLERK_SECRET, type TestClock } from './helper.js'

/**
 * A second real process that takes the write lock (BEGIN IMMEDIATE) and holds
 * it until killed; given a PostgreSQL store, a session of its own that locks
 * the events table against inserts (reads go on) until it rolls back.
 */
export async function holdWriteLock (t: Test, storage: string | Config['storage']): Promise<() => Promise<void>> {
  if (typeof storage !== 'string' && storage.driver === 'postgres') return await holdPostgresLock(t, storage.url!)
  const dbPath = typeof storage === 'string' ? storage : storage.path
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3')
  const script = `const db = new (require(${JSON.stringify(sqlite)}))(${JSON.stringify(dbPath)}); db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n'); setInterval(() => {}, 1000)`
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  t.teardown(() => { child.kill('SIGKILL'); return exited })
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)))
  })
  return async () => { child.kill('SIGKILL'); await exited }
}

async function holdPostgresLock (t: Test, url: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query('BEGIN')
  await client.query('LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE')
  let released: Promise<void> | undefined
  const release = () => (released ??= client.query('ROLLBACK').then(() => client.end()))
  t.teardown(release)
  return release
}

/** A genuine Clerk webhook signed at the clock's time. */
export function signed (clock: TestClock) {
  const id = `msg_${randomUUID()}`
  const body = sampleEvent('clerk', 'user.created', clock.now())
  return { id, body, headers: signClerk({ id, timestampSec: Math.floor(clock.now() / 1000), body, secret: CLERK_SECRET }) }
}

