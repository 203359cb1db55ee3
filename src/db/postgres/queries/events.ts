import { eventIdFloor } from '../../../ids.js'
import type { AttemptRow, DeliveryRow, EventDetail, EventDetailRow, EventFilter, EventOrigin, EventRow, LeasedDelivery, Page, ReplayArgs } from '../../../store/contract.js'
import { query, type Conn, type Pool } from '../pool.js'
import { toPage, whereClause } from '../../shared/filters.js'
import { globToRegex } from './filters.js'

const LIST_COLUMNS = 'id, source, provider, dedup_key, type, subject, occurred_at, received_at, status'

export async function listEvents (db: Pool, filter: EventFilter): Promise<Page<EventRow>> {
  const where = whereClause([
    [filter.source !== undefined, 'source = @source'],
    [filter.type !== undefined, 'type = @type'],
    [filter.status !== undefined, 'status = @status'],
    [filter.subject !== undefined, 'subject = @subject'],
    [filter.typeGlob !== undefined, 'type ~ @typeRegex'],
    [filter.search !== undefined, '(id = @searchText OR (source = ANY(@searchSources::text[]) AND dedup_key = @searchText))'],
    // Ids begin with the receipt time: the id bounds make time filters seeks on the primary key.
    [filter.since !== undefined, 'id >= @sinceId AND received_at >= @since'],
    [filter.until !== undefined, 'id < @untilId AND received_at < @until'],
    [filter.cursor !== undefined, 'id < @cursor']
  ])
  const { search, ...rest } = filter
  const rows = await query<EventRow>(db, `SELECT ${LIST_COLUMNS} FROM events ${where} ORDER BY id DESC LIMIT @take`, {
    ...rest,
    ...(filter.typeGlob === undefined ? {} : { typeRegex: globToRegex(filter.typeGlob) }),
    ...(search === undefined ? {} : { searchText: search.text, searchSources: search.sources }),
    ...(filter.since === undefined ? {} : { sinceId: eventIdFloor(filter.since) }),
    ...(filter.until === undefined ? {} : { untilId: eventIdFloor(filter.until) }),
    take: filter.limit + 1
  })
  return toPage(rows, filter.limit, (row) => row, (row) => row.id)
}

/** The event with its headers and bytes, every delivery, and every attempt of each (oldest first); on one snapshot. */
export async function getEvent (conn: Conn, id: string): Promise<EventDetail | null> {
  const [event] = await query<EventDetailRow>(conn, `SELECT ${LIST_COLUMNS}, headers, body FROM events WHERE id = @id`, { id })
  if (event === undefined) return null
  const deliveries = await query<DeliveryRow>(conn, 'SELECT * FROM deliveries WHERE event_id = @id ORDER BY id', { id })
  const attempts = await query<AttemptRow>(conn, `
    SELECT a.* FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = @id ORDER BY a.id`, { id })
  return {
    event,
    deliveries: deliveries.map((d) => ({ ...d, attemptRows: attempts.filter((a) => a.delivery_id === d.id) }))
  }
}

/** A new pending delivery per destination, due now, and the event back to pending; null when the event is gone. */
export async function replayEvent (conn: Conn, { eventId, destinations, now }: ReplayArgs): Promise<LeasedDelivery[] | null> {
  const updated = await query(conn, "UPDATE events SET status = 'pending' WHERE id = @eventId RETURNING id", { eventId })
  if (updated.length === 0) return null
  const rows = await query<{ id: number, destination: string }>(conn, `
    INSERT INTO deliveries (event_id, destination, status, attempts, run_at, created_at, updated_at)
    SELECT @eventId, d, 'pending', 0, @now, @now, @now FROM unnest(@destinations::text[]) WITH ORDINALITY AS t (d, n) ORDER BY n
    RETURNING id, destination`, { eventId, destinations, now })
  return rows.sort((a, b) => a.id - b.id).map((r) => ({ id: r.id, destination: r.destination }))
}

export async function eventOrigin (db: Pool, id: string): Promise<EventOrigin | null> {
  const [row] = await query<EventOrigin>(db, 'SELECT source, type FROM events WHERE id = @id', { id })
  return row ?? null
}
