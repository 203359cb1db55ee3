import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { HG_ERR_MIGRATION_FAILED } from '../../errors.js'
import { packageRoot } from '../../package-root.js'
import type { Db } from './open.js'

export const migrationsDir = (): string => join(packageRoot(), 'migrations', 'sqlite')

/**
 * Applies migrations/NNNN_*.sql in name order, each in its own transaction,
 * recording what ran. Shipped files are never edited: a change is a new file.
 * Whether a file has run is read inside its IMMEDIATE transaction, under the
 * write lock: a list read before it could be stale by then (another process
 * migrating the same file), and the file would run twice.
 * Returns the names applied now.
 */
export function migrate (db: Db, dir: string = migrationsDir(), now: number = Date.now()): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)')
  const isApplied = db.prepare('SELECT 1 FROM migrations WHERE name = ?').pluck()
  const record = db.prepare('INSERT INTO migrations (name, applied_at) VALUES (?, ?)')
  const files = readdirSync(dir).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort()
  const applied: string[] = []
  for (const file of files) {
    // A cheap read first, so a started gateway does not take the write lock once per shipped file.
    if (isApplied.get(file) !== undefined) continue
    const sql = readFileSync(join(dir, file), 'utf8')
    let ran = false
    try {
      db.transaction(() => {
        if (isApplied.get(file) !== undefined) return
        db.exec(sql)
        record.run(file, now)
        ran = true
      }).immediate()
    } catch (err) {
      throw new HG_ERR_MIGRATION_FAILED(file, (err as Error).message, { cause: err })
    }
    if (ran) applied.push(file)
  }
  return applied
}
