import type { Db } from '../open.js'
import { prepared } from '../statements.js'
import type { BulkRetryArgs, DeliveryFilter, DeliveryListRow, DeliveryRow, Page, RetryResult } from '../../../store/contract.js'
import { deliveryWhere, toPage } from '../../shared/filters.js'

/** Newest first, each with its event's source and type so a list reads without a second call. */
export function listDeliveries (db: Db, filter: DeliveryFilter & { cursor?: number | undefined, limit: number }): Page<DeliveryListRow> {
  const rows = prepared<[Record<string, unknown>], DeliveryListRow>(db, `
    SELECT d.*, e.source, e.type FROM deliveries d JOIN events e ON e.id = d.event_id
    ${deliveryWhere(filter)} ORDER BY d.id DESC LIMIT @take`).all({ ...filter, take: filter.limit + 1 })
  return toPage(rows, filter.limit, (row) => row, (row) => String(row.id))
}

export function countDeliveries (db: Db, filter: DeliveryFilter): number {
  return prepared<[Record<string, unknown>], number>(db, `SELECT count(*) FROM deliveries d ${deliveryWhere(filter)}`).pluck().get({ ...filter }) ?? 0
}

/**
 * Write op, one delivery. A dead one starts a fresh schedule (attempts back
 * to 0, due now): the operator retries because the receiver was fixed, so it
 * deserves every retry a new delivery gets; its earlier attempts stay on
 * record. A pending one that is waiting for a later retry is made due now.
 * A delivered one is refused (replay the event instead), and so is one whose
 * attempt is in flight.
 */
export function retryDelivery (db: Db, { id, now }: { id: number, now: number }): RetryResult {
  const current = prepared<[number], DeliveryRow>(db, 'SELECT * FROM deliveries WHERE id = ?').get(id)
  if (current === undefined) return { outcome: 'missing' }
  if (current.status === 'delivered') return { outcome: 'delivered' }
  if (current.locked_at !== null) return { outcome: 'in_flight' }
  const delivery = current.status === 'dead'
    ? prepared<[Record<string, unknown>], DeliveryRow>(db, `
        UPDATE deliveries SET status = 'pending', attempts = 0, run_at = @now, queued_at = @now, updated_at = @now
        WHERE id = @id RETURNING *`).get({ id, now })!
    : prepared<[Record<string, unknown>], DeliveryRow>(db, 'UPDATE deliveries SET run_at = @now, updated_at = @now WHERE id = @id RETURNING *').get({ id, now })!
  prepared(db, "UPDATE events SET status = 'pending' WHERE id = ?").run(delivery.event_id)
  return { outcome: 'retried', delivery }
}

/**
 * Write op, many dead deliveries: at most `limit` per call so one bulk retry
 * cannot hold the writer (and ingest behind it) for long; the caller repeats
 * until fewer come back. Retried rows are pending, so they never match again.
 */
export function retryDeadDeliveries (db: Db, { filter, now, limit }: BulkRetryArgs<Omit<DeliveryFilter, 'status'>>): number {
  const eventIds = prepared<[Record<string, unknown>], string>(db, `
    UPDATE deliveries SET status = 'pending', attempts = 0, run_at = @now, queued_at = @now, updated_at = @now
    WHERE id IN (SELECT d.id FROM deliveries d ${deliveryWhere({ ...filter, status: 'dead' })} LIMIT @limit)
    RETURNING event_id`).pluck().all({ ...filter, status: 'dead', now, limit })
  const markPending = prepared(db, "UPDATE events SET status = 'pending' WHERE id = ? AND status <> 'pending'")
  for (const eventId of new Set(eventIds)) markPending.run(eventId)
  return eventIds.length
}

/**
 * Write op, many pending deliveries waiting for a later retry: due now, each
 * keeping its attempts (the schedule goes on from there if this one fails
 * too). At most `limit` per call, like retryDeadDeliveries; made due, a row no
 * longer matches. For hand-sent events that failed while the receiver was
 * down and would otherwise wait minutes for their next retry.
 */
export function retryPendingDeliveries (db: Db, { filter, now, limit }: BulkRetryArgs<Omit<DeliveryFilter, 'status' | 'waitingAt'>>): number {
  return prepared<[Record<string, unknown>]>(db, `
    UPDATE deliveries SET run_at = @now, updated_at = @now
    WHERE id IN (SELECT d.id FROM deliveries d ${deliveryWhere({ ...filter, waitingAt: now })} ORDER BY d.run_at LIMIT @limit)`)
    .run({ ...filter, waitingAt: now, now, limit }).changes
}
