import type { DeliveryRow, HeldCount, HeldFilter, HeldSubject, Page } from '../../store/contract.js'
import { toPage } from './filters.js'

/**
 * Ordered delivery per subject (a destination with `ordering: subject`), as
 * both adapters claim it. Deliveries of one destination and one order key
 * (the event's subject) form a line in id order, which is the order the
 * gateway stored them. A delivery may be claimed only at the head of its
 * line: no earlier one still pending (waiting for a retry, or leased), no
 * earlier dead one where dead heads block (`onDead: block`), and no other one
 * of the line in flight (a later one leased first, when two replicas
 * committed a subject's events out of id order, must finish first). The
 * claim reads this per row through deliveries_subject_line, so its cost is a
 * seek per due row, and a held subject's waiting rows are walked past.
 *
 * `blockDead` is the dialect's expression for "this destination's dead
 * heads block" (a bound parameter); `d` is the candidate row.
 */
export function atHeadOfLine (blockDead: string): string {
  return `(d.order_key IS NULL OR NOT EXISTS (
    SELECT 1 FROM deliveries p
    WHERE p.destination = d.destination AND p.order_key = d.order_key AND p.status IN ('pending', 'dead') AND p.id <> d.id
      AND (p.locked_at IS NOT NULL OR (p.id < d.id AND (p.status = 'pending' OR ${blockDead})))))`
}

/** Why a waiting delivery an operator skipped is dead: its row says so. */
export const SKIPPED = 'skipped by an operator: the next delivery of its subject went ahead'

/** The order key of an event's delivery to a destination: its subject where the destination orders by it. */
export function orderKey (destination: string, ordered: readonly string[] | undefined, subject: string | null): string | null {
  return subject !== null && ordered?.includes(destination) === true ? subject : null
}

/**
 * The held lines of one destination (@destination): a line is the subject's
 * pending deliveries and, where dead heads block, its dead ones; it is held
 * when its head is dead there, or has failed (it waits for a retry, or is
 * being tried again) with deliveries behind it: a line moving as it should
 * (a head on its first attempt) is not held. `line.waiting` counts those
 * behind the head, `d` is the head. The status terms repeat
 * deliveries_subject_line's own condition, so the read uses that index.
 */
function heldLines (columns: string, blockDead: string): string {
  return `
    WITH line AS (
      SELECT order_key, min(id) AS head_id, count(*) - 1 AS waiting FROM deliveries
      WHERE destination = @destination AND order_key IS NOT NULL AND status IN ('pending', 'dead')
        AND (status = 'pending' OR ${blockDead})
      GROUP BY order_key)
    SELECT ${columns} FROM line JOIN deliveries d ON d.id = line.head_id
    WHERE (d.status = 'dead' OR (line.waiting > 0 AND d.last_error IS NOT NULL))`
}

/** Each held line's head and the count behind it, oldest head first, a page at a time (@take, after @cursor). */
export function heldLinesSql (blockDead: string, cursor: boolean): string {
  return heldLines('line.waiting, d.*', blockDead) + `${cursor ? ' AND d.id > @cursor' : ''} ORDER BY d.id LIMIT @take`
}

/** How many lines are held, and how many deliveries wait behind their heads. */
export function heldCountSql (blockDead: string): string {
  return heldLines('count(*) AS subjects, coalesce(sum(line.waiting), 0) AS waiting', blockDead)
}

/** A held line as both adapters read it: the head's columns and the count behind it. */
export type HeldLineRow = DeliveryRow & { waiting: number }

/** Each ordered destination's held lines (read by `read`), merged oldest head first into one page. */
export async function heldPage (filter: HeldFilter, read: (destination: string, blockDead: boolean, take: number) => Promise<HeldLineRow[]>): Promise<Page<HeldSubject>> {
  const names = Object.keys(filter.ordering).filter((name) => filter.destination === undefined || name === filter.destination)
  const rows = (await Promise.all(names.map((name) => read(name, filter.ordering[name] === 'block', filter.limit + 1)))).flat().sort((a, b) => a.id - b.id)
  return toPage(rows.slice(0, filter.limit + 1), filter.limit, ({ waiting, ...head }) => ({ destination: head.destination, subject: head.order_key!, head, waiting: Number(waiting) }), (row) => String(row.id))
}

/** Held subjects and waiting deliveries per ordered destination that has any (each counted by `count`, heldCountSql). */
export async function heldCountsOf (ordering: HeldFilter['ordering'], count: (destination: string, blockDead: boolean) => Promise<HeldCount | undefined>): Promise<ReadonlyMap<string, HeldCount>> {
  const counts = new Map<string, HeldCount>()
  for (const name of Object.keys(ordering)) {
    const held = await count(name, ordering[name] === 'block')
    if (held !== undefined && held.subjects > 0) counts.set(name, { subjects: Number(held.subjects), waiting: Number(held.waiting) })
  }
  return counts
}
