/**
 * Ordered delivery per subject on SQLite: the operator's skip, and the held
 * lines the admin API, metrics and console read (../../shared/subject-line.ts
 * has the claim's rule and the shared SQL).
 */
import type { DeliveryRow, HeldCount, HeldFilter, HeldSubject, Page, SkipArgs, SkipResult } from '../../../store/contract.js'
import type { Db } from '../open.js'
import { prepared } from '../statements.js'
import { heldCountSql, heldCountsOf, heldLinesSql, heldPage, SKIPPED, type HeldLineRow } from '../../shared/subject-line.js'
import { updateEventStatus } from './leases.js'

/**
 * Write op: takes a delivery out of its subject's line (order_key cleared),
 * so the next one of the subject is at the head. A dead one stays as it is
 * (retry it later to send it out of order); a waiting one becomes dead, since
 * sending it after its successors would break the order it was held for.
 */
export function skipDelivery (db: Db, { id, now }: SkipArgs): SkipResult {
  const current = prepared<[number], DeliveryRow>(db, 'SELECT * FROM deliveries WHERE id = ?').get(id)
  if (current === undefined) return { outcome: 'missing' }
  if (current.status === 'delivered') return { outcome: 'delivered' }
  if (current.locked_at !== null) return { outcome: 'in_flight' }
  if (current.order_key === null) return { outcome: 'not_ordered' }
  const delivery = prepared<[Record<string, unknown>], DeliveryRow>(db, `
    UPDATE deliveries SET order_key = NULL, updated_at = @now,
      last_error = CASE WHEN status = 'pending' THEN @skipped ELSE last_error END, status = 'dead'
    WHERE id = @id RETURNING *`).get({ id, now, skipped: SKIPPED })!
  updateEventStatus(db, delivery.event_id)
  return { outcome: 'skipped', delivery }
}

const dialect = (blockDead: boolean): string => blockDead ? "status = 'dead'" : '0'

export async function heldSubjects (db: Db, { cursor, ...filter }: HeldFilter): Promise<Page<HeldSubject>> {
  return await heldPage(filter, async (destination, blockDead, take) => prepared<[Record<string, unknown>], HeldLineRow>(db, heldLinesSql(dialect(blockDead), cursor !== undefined))
    .all({ destination, take, ...(cursor !== undefined ? { cursor } : {}) }))
}

export async function heldCounts (db: Db, ordering: HeldFilter['ordering']): Promise<ReadonlyMap<string, HeldCount>> {
  return await heldCountsOf(ordering, async (destination, blockDead) => prepared<[Record<string, unknown>], HeldCount>(db, heldCountSql(dialect(blockDead))).get({ destination }))
}
