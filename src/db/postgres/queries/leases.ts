/**
 * The outbox's statements on deliveries, as ../../sqlite/queries/leases.ts
 * has them (see there for why each is so), for several gateways on one
 * database: a claim locks its rows with FOR UPDATE SKIP LOCKED, so two
 * replicas claiming at once take different deliveries, never the same one.
 */
import type { ClaimArgs, ClaimedDelivery, ClaimResult, HastenArgs, ReclaimArgs, ReleaseArgs, SettleArgs, UnclaimArgs } from '../../../store/contract.js'
import { execute, query, queryPrepared, type Conn } from '../pool.js'
import { ClaimShares, toClaimed, type ClaimedRow } from '../../shared/claim-shares.js'
import { pausedNames } from './destinations.js'
import { atHeadOfLine } from '../../shared/subject-line.js'

/** Due and unleased at one destination (the candidate is `d`); with `ordered`, only heads of their subjects' lines. */
const ready = (ordered: boolean): string => `FROM deliveries d
  WHERE d.destination = @destination AND d.status = 'pending' AND d.locked_at IS NULL${ordered ? ` AND ${atHeadOfLine('@blockDead::boolean')}` : ''}`

const claimSql = (ordered: boolean): string => `
  WITH picked AS (
    SELECT d.id ${ready(ordered)} AND d.run_at <= @now
    ORDER BY d.run_at, d.id LIMIT @n FOR UPDATE SKIP LOCKED),
  claimed AS (
    UPDATE deliveries d SET attempts = d.attempts + 1, locked_at = @now, locked_by = @owner, updated_at = @now
    FROM picked WHERE d.id = picked.id
    RETURNING d.id, d.destination, d.attempts, d.event_id, d.run_at)
  SELECT c.id, c.destination, c.attempts, e.id AS event_id, e.source, e.provider, e.dedup_key, e.type,
    e.subject, e.occurred_at, e.received_at, e.body
  FROM claimed c JOIN events e ON e.id = c.event_id ORDER BY c.run_at, c.id`
const CLAIM = claimSql(false)
const CLAIM_HEADS = claimSql(true)
/** When any of @names has a delivery due that a claim could take: in an ordered one (@ordered), only a head counts. */
const NEXT_DUE = `
  SELECT min(d.run_at) AS at FROM deliveries d
  WHERE d.destination = ANY(@names::text[]) AND d.status = 'pending' AND d.locked_at IS NULL
    AND (NOT d.destination = ANY(@ordered::text[]) OR ${atHeadOfLine('d.destination = ANY(@blocking::text[])')})`

/**
 * As the SQLite adapter's claim. A destination that orders by subject is
 * claimed under a transaction-scoped advisory lock of its own, taken for all
 * of them first, in name order (no two claims deadlock): SKIP LOCKED keeps
 * two replicas off one row, not off one subject, and under READ COMMITTED
 * each claim statement then starts after the previous claimer committed, so
 * it sees that claimer's leases and never takes a second delivery of a
 * subject in flight.
 */
export async function claimDeliveries (conn: Conn, { now, owner, slots, limit, ordering = {} }: ClaimArgs): Promise<ClaimResult> {
  const claimed: ClaimedDelivery[] = []
  const paused = await pausedNames(conn)
  const shares = new ClaimShares(slots, limit, paused)
  const line = (destination: string) => ordering[destination] === undefined ? {} : { blockDead: ordering[destination] === 'block' }
  // Only those this claim may take from: a paused one, or one without room, need not wait for another replica.
  for (const name of Object.keys(slots).filter((name) => name in ordering && slots[name]! > 0 && !paused.has(name)).sort()) {
    await execute(conn, 'SELECT pg_advisory_xact_lock(hashtext(@key))', { key: `hookgate:subject-lines:${name}` })
  }
  for (let step = shares.next(); step !== null; step = shares.next()) {
    const ordered = step.destination in ordering
    const rows = await queryPrepared<ClaimedRow>(conn, ordered ? CLAIM_HEADS : CLAIM, { now, owner, ...step, ...line(step.destination) })
    for (const row of rows) claimed.push(toClaimed(row))
    shares.took(step.destination, step.n, rows.length)
  }
  let nextDueAt: number | null = null
  if (shares.dry.size > 0) {
    const names = [...shares.dry]
    const [row] = await query<{ at: number | null }>(conn, NEXT_DUE, { names, ordered: names.filter((name) => name in ordering), blocking: names.filter((name) => ordering[name] === 'block') })
    nextDueAt = row?.at ?? null
  }
  return { claimed, nextDueAt }
}

/**
 * Attempt rows and moves, in one statement for any number of settlements
 * (../group-commit.ts passes every settle that came in while the last one
 * committed, each with its own `now`): one INSERT and one UPDATE over unnest,
 * not two round trips per settlement. A settlement whose attempt number no
 * longer matches keeps its attempt row and leaves the delivery to the newer
 * attempt, as on SQLite. Returns each delivery moved, with the attempt that
 * moved it and its new status.
 */
const SETTLE = `
  WITH s AS (
    SELECT * FROM unnest(@id::bigint[], @attempt::int[], @startedAt::bigint[], @durationMs::int[], @statusCode::int[],
      @error::text[], @response::text[], @status::text[], @runAt::bigint[], @now::bigint[])
      AS s (id, attempt, started_at, duration_ms, status_code, error, response, status, run_at, now)),
  recorded AS (
    INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_body)
    SELECT id, attempt, started_at, duration_ms, status_code, error, response FROM s)
  UPDATE deliveries d SET status = s.status, run_at = coalesce(s.run_at, d.run_at), locked_at = NULL, locked_by = NULL,
    last_error = s.error, last_status = s.status_code, updated_at = s.now,
    delivered_at = CASE WHEN s.status = 'delivered' THEN s.now ELSE d.delivered_at END
  FROM s WHERE d.id = s.id AND d.attempts = s.attempt AND d.status = 'pending'
  RETURNING d.id, s.attempt, d.event_id, d.status`

/**
 * Records the attempts of every settle in `batches` and moves their
 * deliveries on; each event done or dead gets its status in the same
 * transaction. Resolves to how many deliveries each settle moved.
 */
export async function settleBatches (conn: Conn, batches: readonly SettleArgs[]): Promise<number[]> {
  const all = batches.flatMap(({ now, settlements }) => settlements.map((s) => ({ ...s, now })))
  if (all.length === 0) return batches.map(() => 0)
  const rows = await queryPrepared<{ id: string, attempt: number, event_id: string, status: string }>(conn, SETTLE, {
    id: all.map((s) => s.id),
    attempt: all.map((s) => s.attempt),
    startedAt: all.map((s) => s.startedAt),
    durationMs: all.map((s) => Math.round(s.durationMs)),
    statusCode: all.map((s) => s.statusCode),
    error: all.map((s) => s.error),
    response: all.map((s) => s.response),
    status: all.map((s) => s.result === 'retry' ? 'pending' : s.result),
    runAt: all.map((s) => s.runAt ?? null),
    now: all.map((s) => s.now)
  })
  const settledEvents = new Set(rows.filter((row) => row.status !== 'pending').map((row) => row.event_id))
  if (settledEvents.size > 0) await updateEventStatuses(conn, [...settledEvents])
  // A delivery moved by the settlement of its current attempt (a stale one's settlement moves nothing).
  const moved = new Set(rows.map((row) => `${row.id}:${row.attempt}`))
  return batches.map(({ settlements }) => settlements.filter((s) => moved.has(`${s.id}:${s.attempt}`)).length)
}

/**
 * Each event's status again, from its deliveries. The event rows are locked
 * first, in a statement of their own and in id order: under READ COMMITTED
 * the status is then computed by a statement that starts after every other
 * transaction that settled a delivery of the event has committed, so two
 * deliveries of one event settled at once (on two connections or replicas)
 * cannot each see the other still pending and leave the event 'pending'.
 */
export async function updateEventStatuses (conn: Conn, eventIds: readonly string[]): Promise<void> {
  const ids = [...eventIds].sort()
  await execute(conn, 'SELECT id FROM events WHERE id = ANY(@ids::text[]) ORDER BY id FOR UPDATE', { ids })
  // pending, delivered, or dead (some delivery dead and not superseded), from each event's deliveries: one statement for all.
  await execute(conn, `
    UPDATE events e SET status = CASE
      WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = 'dead'
        AND NOT EXISTS (SELECT 1 FROM deliveries n WHERE n.event_id = e.id AND n.destination = d.destination AND n.id > d.id)) THEN 'dead'
      WHEN EXISTS (SELECT 1 FROM deliveries WHERE event_id = e.id AND status = 'pending') THEN 'pending'
      ELSE 'delivered' END
    WHERE e.id = ANY(@ids::text[])`, { ids })
}

const noOutcome = (why: string) => `no outcome: ${why}; the receiver may or may not have it`

export async function reclaimLeases (conn: Conn, { now, olderThanMs, owner, why }: ReclaimArgs): Promise<number> {
  return await freeLeases(conn, 'locked_at <= @cutoff AND (@owner::text IS NULL OR locked_by = @owner)', { now, cutoff: now - olderThanMs, owner: owner ?? null }, why)
}

/**
 * Frees the leases `where` picks (a condition on deliveries, with `params`
 * and `@now`), recording each interrupted attempt as of unknown outcome.
 * Locked first (FOR UPDATE), so a settle racing it on another replica is
 * either seen or waits.
 */
export async function freeLeases (conn: Conn, where: string, params: { readonly now: number } & Record<string, unknown>, why: string): Promise<number> {
  const [row] = await query<{ n: number }>(conn, `
    WITH old AS (
      SELECT id, attempts, locked_at FROM deliveries WHERE locked_at IS NOT NULL AND ${where} FOR UPDATE),
    freed AS (
      UPDATE deliveries d SET locked_at = NULL, locked_by = NULL, run_at = least(d.run_at, @now), updated_at = @now,
        last_error = @error, last_status = NULL
      FROM old WHERE d.id = old.id
      RETURNING old.id, old.attempts, old.locked_at),
    kept AS (
      INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_body)
      SELECT id, attempts, locked_at, 0, NULL, @error, NULL FROM freed)
    SELECT count(*) AS n FROM freed`, { ...params, error: noOutcome(why) })
  return row?.n ?? 0
}

export async function unclaimDeliveries (conn: Conn, { now, owner, ids }: UnclaimArgs): Promise<number> {
  return await execute(conn, `
    UPDATE deliveries SET locked_at = NULL, locked_by = NULL, attempts = attempts - 1, updated_at = @now
    WHERE id = ANY(@ids::bigint[]) AND locked_by = @owner AND locked_at IS NOT NULL`, { now, owner, ids })
}

export async function releaseLeases (conn: Conn, { now, owner }: ReleaseArgs): Promise<number> {
  return await execute(conn, `
    UPDATE deliveries SET locked_at = NULL, locked_by = NULL, run_at = least(run_at, @now), updated_at = @now
    WHERE locked_by = @owner AND locked_at IS NOT NULL`, { now, owner })
}

export async function hastenDeliveries (conn: Conn, { now, destination, limit }: HastenArgs): Promise<number> {
  return await execute(conn, `
    UPDATE deliveries SET run_at = @now, updated_at = @now
    WHERE id IN (SELECT id FROM deliveries
      WHERE destination = @destination AND status = 'pending' AND locked_at IS NULL AND run_at > @now
      ORDER BY run_at, id LIMIT @limit)
    -- Checked again on the row as it is once locked: one a claim or settle changed meanwhile is left alone.
    AND status = 'pending' AND locked_at IS NULL AND run_at > @now`, { now, destination, limit })
}
