/**
 * One gateway per SQLite file. Two would both reclaim each other's leases at
 * boot (a delivery sent twice) and fight over the write lock. The lock is a
 * SQLite file beside the database held in EXCLUSIVE locking mode for the
 * process's life: SQLite's locks are the OS's (fcntl), so a crashed or killed
 * holder releases it with no stale file to clean up. Node has no flock(2),
 * and a pid file alone cannot tell a dead holder from a live one.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { HG_ERR_STORAGE_IN_USE } from '../../errors.js'

export interface InstanceLock {
  release (): void
}

/** Where the lock and the note naming its holder live, beside the database. */
export const lockPaths = (dbPath: string) => ({ lock: `${dbPath}.lock`, holder: `${dbPath}.holder` })

/** Takes the lock on dbPath's gateway, or throws HG_ERR_STORAGE_IN_USE naming the file and its holder. */
export function lockInstance (dbPath: string, now: number = Date.now()): InstanceLock {
  if (dbPath === ':memory:') return { release () {} }
  const paths = lockPaths(dbPath)
  mkdirSync(dirname(dbPath), { recursive: true })
  const db = new Database(paths.lock)
  try {
    // No wait: a holder keeps it for its whole life, so waiting would only delay the refusal.
    db.pragma('busy_timeout = 0')
    db.pragma('locking_mode = EXCLUSIVE')
    // In EXCLUSIVE mode the lock a write takes is never given back until the connection closes.
    db.exec('BEGIN EXCLUSIVE; COMMIT')
  } catch (err) {
    db.close()
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY') === true) throw new HG_ERR_STORAGE_IN_USE(dbPath, describeHolder(paths.holder))
    throw err
  }
  // Only the holder writes this note, after it holds the lock: a crashed holder's note is overwritten by the next.
  writeFileSync(paths.holder, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date(now).toISOString() }) + '\n')
  return { release: () => db.close() }
}

function describeHolder (holderPath: string): string {
  try {
    const { pid, host, since } = JSON.parse(readFileSync(holderPath, 'utf8')) as { pid: number, host: string, since: string }
    return `pid ${pid} on ${host}, since ${since}`
  } catch {
    return 'a process that has not written its note yet'
  }
}
