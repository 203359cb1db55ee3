/**
 * Storage faults from outside: a second real process that holds SQLite's
 * write lock, and the signed webhooks sent while it does.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import type { Test } from 'tap'
import { sampleEvent } from '../providers/samples.js'
import { signClerk } from '../providers/sign.js'
import { CLERK_SECRET, type TestClock } from './helper.js'

/** A second real process that takes the write lock (BEGIN IMMEDIATE) and holds it until killed. */
export async function holdWriteLock (t: Test, dbPath: string): Promise<() => Promise<void>> {
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

/** A genuine Clerk webhook signed at the clock's time. */
export function signed (clock: TestClock) {
  const id = `msg_${randomUUID()}`
  const body = sampleEvent('clerk', 'user.created', clock.now())
  return { id, body, headers: signClerk({ id, timestampSec: Math.floor(clock.now() / 1000), body, secret: CLERK_SECRET }) }
}

