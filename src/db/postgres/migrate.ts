import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { HG_ERR_MIGRATION_FAILED } from '../../errors.js'
import { packageRoot } from '../../package-root.js'
import type { Pool } from './pool.js'

export const migrationsDir = (): string => join(packageRoot(), 'migrations', 'postgres')

/** pg_advisory_lock's key for hookgate's migrations: any fixed number no other program on the database uses. */
const MIGRATION_LOCK = 7_204_185_531

/**
 * Applies migrations/postgres/NNNN_*.sql in name order, each in its own
 * transaction, recording what ran. Replicas that start together all come
 * here: a session advisory lock lets one migrate while the others wait, and
 * each reads what has run only once it holds the lock, so every file runs
 * once. Returns the names applied now.
 */
export async function migrate (pool: Pool, dir: string = migrationsDir(), now: number = Date.now()): Promise<string[]> {
  const conn = await pool.connect()
  let broken: Error | undefined
  const onError = (err: Error) => { broken = err }
  conn.on('error', onError)
  try {
    // Replicas starting together wait here while one migrates, however long a migration takes.
    await conn.query('SET statement_timeout = 0')
    await conn.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await conn.query('CREATE TABLE IF NOT EXISTS migrations (name text PRIMARY KEY, applied_at bigint NOT NULL)')
      const done = new Set((await conn.query<{ name: string }>('SELECT name FROM migrations')).rows.map((r) => r.name))
      const files = readdirSync(dir).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort()
      const applied: string[] = []
      for (const file of files) {
        if (done.has(file)) continue
        try {
          await conn.query('BEGIN')
          // No parameters: the simple protocol, which runs a file of several statements.
          await conn.query(readFileSync(join(dir, file), 'utf8'))
          await conn.query('INSERT INTO migrations (name, applied_at) VALUES ($1, $2)', [file, now])
          await conn.query('COMMIT')
        } catch (err) {
          await conn.query('ROLLBACK').catch(() => {})
          throw new HG_ERR_MIGRATION_FAILED(file, (err as Error).message, { cause: err })
        }
        applied.push(file)
      }
      return applied
    } finally {
      await conn.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
      await conn.query('RESET statement_timeout')
    }
  } catch (err) {
    broken = err as Error
    throw err
  } finally {
    conn.off('error', onError)
    conn.release(broken)
  }
}
