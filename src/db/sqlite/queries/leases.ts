/**
 * The outbox's statements on deliveries: claim, settle, and the lease
 * bookkeeping. Each export is a writer op (see ../write-ops.ts): synchronous,
 * run inside the writer's group commit, with time passed in from the
 * gateway's clock, never SQLite's.
 */
import type { ClaimArgs, ClaimedDelivery, ClaimResult, HastenArgs, ReclaimArgs, ReleaseArgs, SettleArgs, UnclaimArgs } from '../../../store/contract.js'
import type { Db } from '../open.js'
import { prepared } from '../statements.js'
import { pausedNames } from './destinations.js'
import { ClaimShares, toClaimed, type ClaimedRow } from '../../shared/claim-shares.js'
import { atHeadOfLine } from '../../shared/subject-line.js'

/**
 * Leases due deliveries: one statement per destination locks the rows and
 * counts the attempt together (pg-boss's fetch), through the partial index
 * on ready rows by destination, so the cost is the rows taken, not the backlog.
 */
export function claimDeliveries (db: Db, { now, owner, slots, limit, ordering = {} }: ClaimArgs): ClaimResult {
  // A destination that orders by subject takes only the heads of its subjects' lines (../../shared/subject-line.ts).
  const ready = (ordered: boolean) => `FROM deliveries d INDEXED BY deliveries_ready_by_destination
    WHERE d.destination = @destination AND d.status = 'pending' AND d.locked_at IS NULL${ordered ? ` AND ${atHeadOfLine('@blockDead = 1')}` : ''}`
  const lock = (ordered: boolean) => prepared<{ now: number, owner: string, destination: string, n: number, blockDead?: number }, { id: number }>(db, `
    UPDATE deliveries SET attempts = attempts + 1, locked_at = @now, locked_by = @owner, updated_at = @now
    WHERE id IN (SELECT d.id ${ready(ordered)} AND d.run_at <= @now ORDER BY d.run_at, d.id LIMIT @n)
    RETURNING id`)
  const nextDue = (ordered: boolean) => prepared<{ destination: string, blockDead?: number }, { at: number | null }>(db, `SELECT MIN(d.run_at) AS at ${ready(ordered)}`)
  const line = (destination: string) => ordering[destination] === undefined ? {} : { blockDead: ordering[destination] === 'block' ? 1 : 0 }
  const read = prepared<[number], ClaimedRow>(db, `
    SELECT d.id, d.destination, d.attempts, e.id AS event_id, e.source, e.provider, e.dedup_key, e.type,
      e.subject, e.occurred_at, e.received_at, e.body
    FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = ?`)

  const claimed: ClaimedDelivery[] = []
  const shares = new ClaimShares(slots, limit, pausedNames(db))
  for (let step = shares.next(); step !== null; step = shares.next()) {
    const ids = lock(step.destination in ordering).all({ now, owner, ...step, ...line(step.destination) })
    for (const { id } of ids) claimed.push(toClaimed(read.get(id)!))
    shares.took(step.destination, step.n, ids.length)
  }
  // Destinations with room to spare have nothing more due: when will they?
  let nextDueAt: number | null = null
  for (const destination of shares.dry) {
    const at = nextDue(destination in ordering).get({ destination, ...line(destination) })?.at ?? null
    if (at !== null && (nextDueAt === null || at < nextDueAt)) nextDueAt = at
  }
  return { claimed, nextDueAt }
}


/**
 * Records attempts and moves their deliveries on, releasing the lease; when a
 * delivery is done or dead, its event's status follows in the same
 * transaction. A settlement whose attempt number no longer matches (the
 * lease was reclaimed and the row claimed again) is kept as an attempt row
 * but leaves the delivery to the newer attempt.
 */
export function settleDeliveries (db: Db, { now, settlements }: SettleArgs): number {
  const record = prepared(db, `
    INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_body)
    VALUES (@id, @attempt, @startedAt, @durationMs, @statusCode, @error, @response)`)
  const move = prepared<Record<string, unknown>, { event_id: string }>(db, `
    UPDATE deliveries SET status = @status, run_at = coalesce(@runAt, run_at), locked_at = NULL, locked_by = NULL,
      last_error = @error, last_status = @statusCode, updated_at = @now,
      delivered_at = CASE WHEN @status = 'delivered' THEN @now ELSE delivered_at END
    WHERE id = @id AND attempts = @attempt AND status = 'pending'
    RETURNING event_id`)
  let moved = 0
  for (const s of settlements) {
    record.run({ id: s.id, attempt: s.attempt, startedAt: s.startedAt, durationMs: Math.round(s.durationMs), statusCode: s.statusCode, error: s.error, response: s.response })
    const status = s.result === 'retry' ? 'pending' : s.result
    const row = move.get({ id: s.id, attempt: s.attempt, status, runAt: s.runAt ?? null, error: s.error, statusCode: s.statusCode, now })
    if (row === undefined) continue
    moved++
    if (status !== 'pending') updateEventStatus(db, row.event_id)
  }
  return moved
}

/** pending, delivered, or dead (some delivery dead), from the event's deliveries. */
export function updateEventStatus (db: Db, eventId: string): void {
  // A dead delivery counts only while it is the latest for its destination:
  // once replayed or retried into a newer row, that row speaks for it.
  prepared(db, `
    UPDATE events SET status = CASE
      WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = @id AND d.status = 'dead'
        AND NOT EXISTS (SELECT 1 FROM deliveries n WHERE n.event_id = @id AND n.destination = d.destination AND n.id > d.id)) THEN 'dead'
      WHEN EXISTS (SELECT 1 FROM deliveries WHERE event_id = @id AND status = 'pending') THEN 'pending'
      ELSE 'delivered' END
    WHERE id = @id`).run({ id: eventId })
}

const noOutcome = (why: string) => `no outcome: ${why}; the receiver may or may not have it`

/**
 * Frees leases older than `olderThanMs` (all of them at boot, with 0; only
 * `owner`'s when given), so their deliveries run again at once. On this
 * store one gateway holds the file, so at boot every lease is a dead
 * process's. The interrupted attempt stays counted and gets an attempt row
 * that says its outcome is unknown.
 */
export function reclaimLeases (db: Db, { now, olderThanMs, owner, why }: ReclaimArgs): number {
  return freeLeases(db, 'locked_at <= @cutoff AND (@owner IS NULL OR locked_by = @owner)', { now, cutoff: now - olderThanMs, owner: owner ?? null }, why)
}

/**
 * Frees the leases `where` picks (a condition on deliveries, with `params`
 * and `@now`), recording each interrupted attempt as of unknown outcome.
 */
export function freeLeases (db: Db, where: string, params: { readonly now: number } & Record<string, unknown>, why: string): number {
  const error = noOutcome(why)
  prepared(db, `
    INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_body)
    SELECT id, attempts, locked_at, 0, NULL, @error, NULL FROM deliveries
    WHERE locked_at IS NOT NULL AND ${where}`).run({ ...params, error })
  return prepared(db, `
    UPDATE deliveries SET locked_at = NULL, locked_by = NULL, run_at = min(run_at, @now), updated_at = @now,
      last_error = @error, last_status = NULL
    WHERE locked_at IS NOT NULL AND ${where}`).run({ ...params, error }).changes
}

/**
 * Gives back deliveries this process claimed but never started (see the
 * dispatcher's lookahead): unleased, and the attempt the claim counted is
 * taken back, since nothing was sent.
 */
export function unclaimDeliveries (db: Db, { now, owner, ids }: UnclaimArgs): number {
  const unclaim = prepared<[Record<string, unknown>]>(db, `
    UPDATE deliveries SET locked_at = NULL, locked_by = NULL, attempts = attempts - 1, updated_at = @now
    WHERE id = @id AND locked_by = @owner AND locked_at IS NOT NULL`)
  let changed = 0
  for (const id of ids) changed += unclaim.run({ now, owner, id }).changes
  return changed
}

/** Clears this process's remaining leases (a graceful stop's safety net): they run at once on the next start. */
export function releaseLeases (db: Db, { now, owner }: ReleaseArgs): number {
  return prepared(db, `
    UPDATE deliveries SET locked_at = NULL, locked_by = NULL, run_at = min(run_at, @now), updated_at = @now
    WHERE locked_by = @owner AND locked_at IS NOT NULL`).run({ now, owner }).changes
}

/**
 * Makes up to `limit` of a destination's deliveries that wait for a later
 * retry due now, the longest waiting first: the dispatcher's answer to a
 * destination that answers again after failing (see its #recover).
 */
export function hastenDeliveries (db: Db, { now, destination, limit }: HastenArgs): number {
  return prepared<[Record<string, unknown>]>(db, `
    UPDATE deliveries SET run_at = @now, updated_at = @now
    WHERE id IN (SELECT id FROM deliveries INDEXED BY deliveries_ready_by_destination
      WHERE destination = @destination AND status = 'pending' AND locked_at IS NULL AND run_at > @now
      ORDER BY run_at LIMIT @limit)`).run({ now, destination, limit }).changes
}
