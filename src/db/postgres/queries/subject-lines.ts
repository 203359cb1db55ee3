/**
 * Ordered delivery per subject on PostgreSQL, as ../../sqlite/queries/subject-lines.ts
 * (see there for what skipping does).
 */
import type { DeliveryRow, HeldCount, HeldFilter, HeldSubject, Page, SkipArgs, SkipResult } from '../../../store/contract.js'
import { query, type Conn, type Pool } from '../pool.js'
import { heldCountSql, heldCountsOf, heldLinesSql, heldPage, SKIPPED, type HeldLineRow } from '../../shared/subject-line.js'
import { updateEventStatuses } from './leases.js'

export async function skipDelivery (conn: Conn, { id, now }: SkipArgs): Promise<SkipResult> {
  const [current] = await query<DeliveryRow>(conn, 'SELECT * FROM deliveries WHERE id = @id FOR UPDATE', { id })
  if (current === undefined) return { outcome: 'missing' }
  if (current.status === 'delivered') return { outcome: 'delivered' }
  if (current.locked_at !== null) return { outcome: 'in_flight' }
  if (current.order_key === null) return { outcome: 'not_ordered' }
  const [delivery] = await query<DeliveryRow>(conn, `
    UPDATE deliveries SET order_key = NULL, updated_at = @now,
      last_error = CASE WHEN status = 'pending' THEN @skipped ELSE last_error END, status = 'dead'
    WHERE id = @id RETURNING *`, { id, now, skipped: SKIPPED })
  await updateEventStatuses(conn, [delivery!.event_id])
  return { outcome: 'skipped', delivery: delivery! }
}

const dialect = (blockDead: boolean): string => blockDead ? "status = 'dead'" : 'false'

export async function heldSubjects (db: Pool, { cursor, ...filter }: HeldFilter): Promise<Page<HeldSubject>> {
  return await heldPage(filter, async (destination, blockDead, take) =>
    await query<HeldLineRow>(db, heldLinesSql(dialect(blockDead), cursor !== undefined), { destination, take, ...(cursor !== undefined ? { cursor } : {}) }))
}

export async function heldCounts (db: Pool, ordering: HeldFilter['ordering']): Promise<ReadonlyMap<string, HeldCount>> {
  return await heldCountsOf(ordering, async (destination, blockDead) => (await query<HeldCount>(db, heldCountSql(dialect(blockDead)), { destination }))[0])
}
