import type { Statement } from 'better-sqlite3'
import type { Db } from './open.js'

const cache = new WeakMap<Db, Map<string, Statement>>()

/** A prepared statement, prepared once per connection: the hot paths run the same SQL thousands of times a second. */
export function prepared<P extends unknown[] | {} = unknown[], R = unknown> (db: Db, sql: string): Statement<P, R> {
  let statements = cache.get(db)
  if (statements === undefined) {
    statements = new Map()
    cache.set(db, statements)
  }
  let statement = statements.get(sql)
  if (statement === undefined) {
    statement = db.prepare(sql)
    statements.set(sql, statement)
  }
  return statement as unknown as Statement<P, R>
}
