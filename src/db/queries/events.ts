import type { Db } from '../open.js'
import { eventIdFloor } from '../../ids.js'
import { prepared } from '../statements.js'
import { toPage, whereClause, type Page } from './filters.js'

export interface EventFilter {
  readonly source?: string | undefined
  readonly type?: string | undefined
  readonly status?: string | undefined
  readonly subject?: string | undefined
  /** A GLOB pattern on the type ('user.*'). */
  readonly typeGlob?: string | undefined
  /** An event id or a dedup key, matched exactly: the key through UNIQUE (source, dedup_key), once per source named. */
  readonly search?: { readonly text: string, readonly sources: readonly string[] } | undefined
  readonly since?: number | undefined
  readonly until?: number | undefined
  /** The last id of the previous page: ids sort by time, so this pages newest first. */
  readonly cursor?: string | undefined
  readonly limit: number
}

export interface EventRow {
  id: string
  source: string
  provider: string
  dedup_key: string
  type: string
  subject: string | null
  occurred_at: string | null
  received_at: number
  status: string
}

export interface EventDetailRow extends EventRow {
  headers: string
  body: Buffer
}

export interface DeliveryRow {
  id: number
  event_id: string
  destination: string
  status: string
  attempts: number
  run_at: number
  locked_at: number | null
  last_error: string | null
  last_status: number | null
  created_at: number
  updated_at: number
  delivered_at: number | null
  queued_at: number | null
}

export interface AttemptRow {
  id: number
  delivery_id: number
  attempt: number
  started_at: number
  duration_ms: number
  status_code: number | null
  error: string | null
  response_body: string | null
}

const LIST_COLUMNS = 'id, source, provider, dedup_key, type, subject, occurred_at, received_at, status'

/** States with a partial index each (events_pending, events_dead): named as literals, or SQLite cannot use the index. */
const UNSETTLED = new Set(['pending', 'dead'])

export function listEvents (db: Db, filter: EventFilter): Page<EventRow> {
  const unsettled = filter.status !== undefined && UNSETTLED.has(filter.status)
  const where = whereClause([
    [filter.source !== undefined, 'source = @source'],
    [filter.type !== undefined, 'type = @type'],
    [unsettled, `status = '${filter.status}'`],
    [filter.status !== undefined && !unsettled, 'status = @status'],
    [filter.subject !== undefined, 'subject = @subject'],
    [filter.typeGlob !== undefined, 'type GLOB @typeGlob'],
    // Two seeks the planner joins (MULTI-INDEX OR): the primary key, and the unique key per source.
    [filter.search !== undefined, '(id = @searchText OR (source IN (SELECT value FROM json_each(@searchSources)) AND dedup_key = @searchText))'],
    // Ids begin with the receipt time: the id bounds make time filters seeks on the primary key.
    [filter.since !== undefined, 'id >= @sinceId AND received_at >= @since'],
    [filter.until !== undefined, 'id < @untilId AND received_at < @until'],
    [filter.cursor !== undefined, 'id < @cursor']
  ])
  const { search, ...rest } = filter
  const rows = prepared<[Record<string, unknown>], EventRow>(db, `SELECT ${LIST_COLUMNS} FROM events ${where} ORDER BY id DESC LIMIT @take`)
    .all({
      ...rest,
      ...(search === undefined ? {} : { searchText: search.text, searchSources: JSON.stringify(search.sources) }),
      ...(filter.since === undefined ? {} : { sinceId: eventIdFloor(filter.since) }),
      ...(filter.until === undefined ? {} : { untilId: eventIdFloor(filter.until) }),
      take: filter.limit + 1
    })
  return toPage(rows, filter.limit, (row) => row, (row) => row.id)
}

export interface EventDetail {
  readonly event: EventDetailRow
  readonly deliveries: ReadonlyArray<DeliveryRow & { attemptRows: AttemptRow[] }>
}

/** The event with its headers and bytes, every delivery, and every attempt of each (oldest first). */
export function getEvent (db: Db, id: string): EventDetail | null {
  const event = prepared<[string], EventDetailRow>(db, `SELECT ${LIST_COLUMNS}, headers, body FROM events WHERE id = ?`).get(id)
  if (event === undefined) return null
  const deliveries = prepared<[string], DeliveryRow>(db, 'SELECT * FROM deliveries WHERE event_id = ? ORDER BY id').all(id)
  const attempts = prepared<[string], AttemptRow>(db, `
    SELECT a.* FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = ? ORDER BY a.id`).all(id)
  return {
    event,
    deliveries: deliveries.map((d) => ({ ...d, attemptRows: attempts.filter((a) => a.delivery_id === d.id) }))
  }
}

/**
 * Write op: a new pending delivery per destination, due now, and the event
 * back to pending until they settle. Null when the event is gone (retention
 * may have deleted it since the caller looked).
 */
export function replayEvent (db: Db, { eventId, destinations, now }: { eventId: string, destinations: readonly string[], now: number }):
Array<{ id: number, destination: string }> | null {
  const updated = prepared(db, "UPDATE events SET status = 'pending' WHERE id = ?").run(eventId)
  if (updated.changes === 0) return null
  const insert = prepared(db, `
    INSERT INTO deliveries (event_id, destination, status, attempts, run_at, created_at, updated_at)
    VALUES (?, ?, 'pending', 0, ?, ?, ?)`)
  return destinations.map((destination) => ({ id: Number(insert.run(eventId, destination, now, now, now).lastInsertRowid), destination }))
}

/** The source and type a replay routes by, without reading the body. */
export function eventOrigin (db: Db, id: string): { source: string, type: string } | null {
  return prepared<[string], { source: string, type: string }>(db, 'SELECT source, type FROM events WHERE id = ?').get(id) ?? null
}
