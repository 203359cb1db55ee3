import type { Page } from '../../../store/contract.js'

/**
 * WHERE clauses for the admin lists. Each filter is a fixed SQL fragment with
 * a named parameter, chosen only when its value is given: values never reach
 * the SQL text, and the distinct statements stay few enough to cache. (The
 * caller may pass every value: better-sqlite3 ignores the unused ones.)
 */
export function whereClause (fragments: ReadonlyArray<readonly [given: boolean, sql: string]>): string {
  const chosen = fragments.filter(([given]) => given).map(([, sql]) => sql)
  return chosen.length === 0 ? '' : 'WHERE ' + chosen.join(' AND ')
}


/** Rows were fetched with LIMIT n + 1: the extra one only says that another page exists. */
export function toPage<R, T> (rows: R[], limit: number, map: (row: R) => T, cursorOf: (row: R) => string): Page<T> {
  const more = rows.length > limit
  const kept = more ? rows.slice(0, limit) : rows
  return { items: kept.map(map), nextCursor: more && kept.length > 0 ? cursorOf(kept[kept.length - 1]!) : null }
}
