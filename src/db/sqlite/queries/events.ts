import { eventIdFloor } from '../../../ids.js'
import type { AttemptRow, DeliveryRow, EventDetail, EventDetailRow, EventFilter, EventOrigin, EventRow, LeasedDelivery, Page, ReplayArgs } from '../../../store/contract.js'
import type { Db } from '../open.js'
import { prepared } from '../statements.js'
import { toPage, whereClause } from '../../shared/filters.js'

const LIST_COLUMNS = 'id, source, provider, dedup_key, type, subject, occurred_at, received_at, status'

/** States with a partial index each (events_pending, events_dead): named as literals, or SQLite cannot use the index. */
const UNSETTLED = new Set(['pending', 'dead'])

export function listEvents (db: Db, filter: EventFilter): Page<EventRow> {
  const unsettled = filter.status !== undefined && UNSETTLED.has(filter.status)
  const where = whereClause([
    // +source: walk the ids newest first and stop at the page's end; through the (source, dedup_key) index
    // every event of the source would be read and sorted first (all of them, for the busiest source).
    [filter.source !== undefined, '+source = @source'],
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
export function replayEvent (db: Db, { eventId, destinations, now }: ReplayArgs): LeasedDelivery[] | null {
  const updated = prepared(db, "UPDATE events SET status = 'pending' WHERE id = ?").run(eventId)
  if (updated.changes === 0) return null
  const insert = prepared(db, `
    INSERT INTO deliveries (event_id, destination, status, attempts, run_at, created_at, updated_at)
    VALUES (?, ?, 'pending', 0, ?, ?, ?)`)
  return destinations.map((destination) => ({ id: Number(insert.run(eventId, destination, now, now, now).lastInsertRowid), destination }))
}

/** The source and type a replay routes by, without reading the body. */
export function eventOrigin (db: Db, id: string): EventOrigin | null {
  return prepared<[string], EventOrigin>(db, 'SELECT source, type FROM events WHERE id = ?').get(id) ?? null
}
