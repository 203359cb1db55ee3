/**
 * What both adapters build their list queries from: the same named
 * parameters (@name) reach better-sqlite3 as they are and PostgreSQL through
 * ../postgres/pool.ts named(), so one WHERE serves both.
 */
import type { DeliveryFilter, Page, RejectionFilter } from '../../store/contract.js'

/**
 * WHERE clauses for the admin lists. Each filter is a fixed SQL fragment with
 * a named parameter, chosen only when its value is given: values never reach
 * the SQL text, and the distinct statements stay few enough to cache.
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

/** Deliveries (aliased d) by the admin filters. */
export function deliveryWhere (filter: DeliveryFilter & { cursor?: number | undefined }): string {
  return whereClause([
    [filter.status !== undefined, 'd.status = @status'],
    [filter.destination !== undefined, 'd.destination = @destination'],
    [filter.eventId !== undefined, 'd.event_id = @eventId'],
    [filter.since !== undefined, 'd.created_at >= @since'],
    [filter.until !== undefined, 'd.created_at < @until'],
    [filter.waitingAt !== undefined, "d.status = 'pending' AND d.locked_at IS NULL AND d.run_at > @waitingAt"],
    [filter.cursor !== undefined, 'd.id < @cursor']
  ])
}

export function rejectionWhere (filter: RejectionFilter): string {
  return whereClause([
    [filter.source !== undefined, 'source = @source'],
    [filter.reason !== undefined, 'reason = @reason'],
    [filter.since !== undefined, 'received_at >= @since'],
    [filter.until !== undefined, 'received_at < @until'],
    [filter.cursor !== undefined, 'id < @cursor']
  ])
}
