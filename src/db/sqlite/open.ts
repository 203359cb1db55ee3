import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

export type Db = Database.Database

export interface OpenOptions {
  readonly readonly?: boolean
}

/**
 * Opens the inbox with the pragmas durability depends on.
 * WAL lets readers (admin API, metrics) run beside the single writer.
 * synchronous=FULL fsyncs the WAL at every commit: with NORMAL, WAL loses the
 * last commits on power loss, and we acknowledge webhooks only after commit.
 */
export function openDatabase (path: string, options: OpenOptions = {}): Db {
  if (!options.readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false })
  db.pragma('busy_timeout = 5000')
  if (!options.readonly) {
    // Only a brand-new file takes this (before WAL writes its first page): then
    // deleted rows can be handed back to the disk. Older files: enableIncrementalVacuum.
    db.pragma('auto_vacuum = INCREMENTAL')
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
  }
  db.pragma('foreign_keys = ON')
  return db
}

/** SQLite failures that mean "the store cannot take writes now" rather than a bug. */
export function isStorageFault (err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED|CORRUPT|NOTADB|PERM|PROTOCOL)/.test(code)
}
