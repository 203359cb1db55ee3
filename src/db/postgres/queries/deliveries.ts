import type { BulkRetryArgs, DeliveryFilter, DeliveryListRow, DeliveryRow, Page, RetryResult } from '../../../store/contract.js'
import { execute, query, type Conn, type Pool } from '../pool.js'
import { deliveryWhere, toPage } from '../../shared/filters.js'

export async function listDeliveries (db: Pool, filter: DeliveryFilter & { cursor?: number | undefined, limit: number }): Promise<Page<DeliveryListRow>> {
  const rows = await query<DeliveryListRow>(db, `
    SELECT d.*, e.source, e.type FROM deliveries d JOIN events e ON e.id = d.event_id
    ${deliveryWhere(filter)} ORDER BY d.id DESC LIMIT @take`, { ...filter, take: filter.limit + 1 })
  return toPage(rows, filter.limit, (row) => row, (row) => String(row.id))
}

export async function countDeliveries (db: Pool, filter: DeliveryFilter): Promise<number> {
  const [row] = await query<{ n: number }>(db, `SELECT count(*) AS n FROM deliveries d ${deliveryWhere(filter)}`, { ...filter })
  return row?.n ?? 0
}

/** One delivery, as the SQLite adapter's retryDelivery: a dead one starts afresh, a waiting one is due now. */
export async function retryDelivery (conn: Conn, { id, now }: { id: number, now: number }): Promise<RetryResult> {
  const [current] = await query<DeliveryRow>(conn, 'SELECT * FROM deliveries WHERE id = @id FOR UPDATE', { id })
  if (current === undefined) return { outcome: 'missing' }
  if (current.status === 'delivered') return { outcome: 'delivered' }
  if (current.locked_at !== null) return { outcome: 'in_flight' }
  const [delivery] = current.status === 'dead'
    ? await query<DeliveryRow>(conn, `
        UPDATE deliveries SET status = 'pending', attempts = 0, run_at = @now, queued_at = @now, updated_at = @now
        WHERE id = @id RETURNING *`, { id, now })
    : await query<DeliveryRow>(conn, 'UPDATE deliveries SET run_at = @now, updated_at = @now WHERE id = @id RETURNING *', { id, now })
  await execute(conn, "UPDATE events SET status = 'pending' WHERE id = @id", { id: delivery!.event_id })
  return { outcome: 'retried', delivery: delivery! }
}

/** Up to `limit` dead deliveries, each with a fresh schedule; the caller repeats until fewer come back. */
export async function retryDeadDeliveries (conn: Conn, { filter, now, limit }: BulkRetryArgs<Omit<DeliveryFilter, 'status'>>): Promise<number> {
  const rows = await query<{ event_id: string }>(conn, `
    UPDATE deliveries SET status = 'pending', attempts = 0, run_at = @now, queued_at = @now, updated_at = @now
    WHERE id IN (SELECT d.id FROM deliveries d ${deliveryWhere({ ...filter, status: 'dead' })} LIMIT @limit) AND status = 'dead'
    RETURNING event_id`, { ...filter, status: 'dead', now, limit })
  const events = [...new Set(rows.map((r) => r.event_id))]
  if (events.length > 0) await execute(conn, "UPDATE events SET status = 'pending' WHERE id = ANY(@events::text[]) AND status <> 'pending'", { events })
  return rows.length
}

/** Up to `limit` pending deliveries waiting for a later retry, due now, keeping their attempts. */
export async function retryPendingDeliveries (conn: Conn, { filter, now, limit }: BulkRetryArgs<Omit<DeliveryFilter, 'status' | 'waitingAt'>>): Promise<number> {
  return await execute(conn, `
    UPDATE deliveries SET run_at = @now, updated_at = @now
    WHERE id IN (SELECT d.id FROM deliveries d ${deliveryWhere({ ...filter, waitingAt: now })} ORDER BY d.run_at, d.id LIMIT @limit)
      AND status = 'pending' AND locked_at IS NULL AND run_at > @now`,
  { ...filter, waitingAt: now, now, limit })
}
