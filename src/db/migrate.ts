import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { HG_ERR_MIGRATION_FAILED } from '../errors.js'
import { packageRoot } from '../package-root.js'
import type { Db } from './open.js'

export const migrationsDir = (): string => join(packageRoot(), 'migrations')

/**
 * Applies migrations/NNNN_*.sql in name order, each in its own transaction,
 * recording what ran. Shipped files are never edited: a change is a new file.
 * Returns the names applied now.
 */
export function migrate (db: Db, dir: string = migrationsDir(), now: number = Date.now()): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)')
  const done = new Set(db.prepare('SELECT name FROM migrations').pluck().all() as string[])
  const files = readdirSync(dir).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort()
  const applied: string[] = []
  for (const file of files) {
    if (done.has(file)) continue
    const sql = readFileSync(join(dir, file), 'utf8')
    try {
      db.transaction(() => {
        db.exec(sql)
        db.prepare('INSERT INTO migrations (name, applied_at) VALUES (?, ?)').run(file, now)
      }).immediate()
    } catch (err) {
      throw new HG_ERR_MIGRATION_FAILED(file, (err as Error).message, { cause: err })
    }
    applied.push(file)
  }
  return applied
}
