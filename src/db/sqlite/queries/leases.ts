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

interface ClaimedRow { id: number, destination: string, attempts: number, event_id: string, source: string, provider: string, dedup_key: string, type: string, subject: string | null, occurred_at: string | null, received_at: number, body: Uint8Array }

/**
 * Leases due deliveries: one statement per destination locks the rows and
 * counts the attempt together (pg-boss's fetch), through the partial index
 * on ready rows by destination, so the cost is the rows taken, not the backlog.
 */
export function claimDeliveries (db: Db, { now, owner, slots, limit }: ClaimArgs): ClaimResult {
  const lock = prepared<{ now: number, owner: string, destination: string, n: number }, { id: number }>(db, `
    UPDATE deliveries SET attempts = attempts + 1, locked_at = @now, locked_by = @owner, updated_at = @now
    WHERE id IN (SELECT id FROM deliveries INDEXED BY deliveries_ready_by_destination
      WHERE destination = @destination AND status = 'pending' AND locked_at IS NULL AND run_at <= @now
      ORDER BY run_at LIMIT @n)
    RETURNING id`)
  const nextDue = prepared<[string], { at: number | null }>(db, `
    SELECT MIN(run_at) AS at FROM deliveries INDEXED BY deliveries_ready_by_destination
    WHERE destination = ? AND status = 'pending' AND locked_at IS NULL`)
  const read = prepared<[number], ClaimedRow>(db, `
    SELECT d.id, d.destination, d.attempts, e.id AS event_id, e.source, e.provider, e.dedup_key, e.type,
      e.subject, e.occurred_at, e.received_at, e.body
    FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = ?`)

  const claimed: ClaimedDelivery[] = []
  // A paused destination's deliveries wait: not claimed, so never attempted, so never dead.
  const paused = pausedNames(db)
  const free = new Map(Object.entries(slots).filter(([name, n]) => n > 0 && !paused.has(name)))
  const dry = new Set<string>()
  let left = limit
  // Two passes: first a fair share of the global limit each, then what is left
  // over, so a destination with a backlog cannot take every slot in one claim.
  const share = Math.ceil(limit / Math.max(1, free.size))
  for (const cap of [share, Infinity]) {
    for (const [destination, room] of free) {
      const n = Math.min(room, cap, left)
      if (n <= 0 || dry.has(destination)) continue
      const ids = lock.all({ now, owner, destination, n })
      left -= ids.length
      free.set(destination, room - ids.length)
      for (const { id } of ids) claimed.push(toClaimed(read.get(id)!))
      if (ids.length < n) dry.add(destination)
    }
  }
  // Destinations with room to spare have nothing more due: when will they?
  let nextDueAt: number | null = null
  for (const destination of dry) {
    const at = nextDue.get(destination)?.at ?? null
    if (at !== null && (nextDueAt === null || at < nextDueAt)) nextDueAt = at
  }
  return { claimed, nextDueAt }
}

function toClaimed (row: ClaimedRow): ClaimedDelivery {
  return {
    id: row.id,
    destination: row.destination,
    attempt: row.attempts,
    event: {
      id: row.event_id,
      source: row.source,
      provider: row.provider,
      dedupKey: row.dedup_key,
      type: row.type,
      subject: row.subject,
      occurredAt: row.occurred_at,
      receivedAt: row.received_at,
      body: row.body
    }
  }
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
