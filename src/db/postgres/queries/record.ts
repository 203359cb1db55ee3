import type { LeasedDelivery, RecordArgs, RecordResult } from '../../../store/contract.js'
import { query, queryPrepared, type Conn, type Pool } from '../pool.js'
import { orderKey } from '../../shared/subject-line.js'

const keyOf = (source: string, dedupKey: string): string => JSON.stringify([source, dedupKey])

/**
 * A batch of events and their deliveries in ONE statement, so one round trip
 * and one commit (the statement is its own transaction: all of it or none).
 * Its parts, as the SQLite adapter's recordEvent does them one by one:
 * - known: keys whose events retention deleted (dedup_keys) answer the first id;
 * - ins: the rest, in key order (two batches lock the same keys in the same
 *   order: no deadlock); UNIQUE (source, dedup_key) with ON CONFLICT DO
 *   NOTHING settles a race with another replica, the insert waiting for the
 *   racer's commit;
 * - a delivery per destination of each stored event, leased when asked,
 *   unless its destination is paused or already has a delivery due and
 *   unclaimed at the event's receipt (committed before, or queued earlier
 *   in this batch: `queued` of an earlier row), which goes first.
 */
const RECORD = `
  WITH ev AS (
    SELECT * FROM unnest(@id::text[], @source::text[], @provider::text[], @dedupKey::text[], @type::text[], @subject::text[],
      @occurredAt::text[], @receivedAt::bigint[], @headers::text[], @body::bytea[], @status::text[])
      AS e (id, source, provider, dedup_key, type, subject, occurred_at, received_at, headers, body, status)),
  known AS (
    SELECT k.source, k.dedup_key, k.event_id FROM dedup_keys k JOIN ev ON ev.source = k.source AND ev.dedup_key = k.dedup_key),
  ins AS (
    INSERT INTO events (id, source, provider, dedup_key, type, subject, occurred_at, received_at, headers, body, status)
    SELECT id, source, provider, dedup_key, type, subject, occurred_at, received_at, headers, body, status FROM ev
    WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.source = ev.source AND k.dedup_key = ev.dedup_key)
    ORDER BY source, dedup_key
    ON CONFLICT (source, dedup_key) DO NOTHING RETURNING id),
  wanted AS (
    SELECT d.* FROM unnest(@dEvent::text[], @dDestination::text[], @dReceivedAt::bigint[], @dLease::boolean[], @dLockedAt::bigint[], @dOwner::text[], @dOrderKey::text[])
      WITH ORDINALITY AS d (event_id, destination, received_at, lease, locked_at, owner, order_key, n)
    JOIN ins ON ins.id = d.event_id),
  ready AS (
    SELECT destination, min(run_at) AS at FROM deliveries
    WHERE destination IN (SELECT destination FROM wanted) AND status = 'pending' AND locked_at IS NULL GROUP BY destination),
  base AS (
    SELECT w.*, (NOT w.lease OR coalesce(r.at <= w.received_at, false)
      OR EXISTS (SELECT 1 FROM destination_state s WHERE s.name = w.destination AND s.paused)) AS queued
    FROM wanted w LEFT JOIN ready r ON r.destination = w.destination),
  decided AS (
    SELECT b.*, b.queued OR EXISTS (SELECT 1 FROM base e WHERE e.destination = b.destination AND e.n < b.n AND e.queued AND e.received_at <= b.received_at) AS pending
    FROM base b),
  dins AS (
    INSERT INTO deliveries (event_id, destination, status, attempts, run_at, locked_at, locked_by, created_at, updated_at, order_key)
    SELECT event_id, destination, 'pending', CASE WHEN pending THEN 0 ELSE 1 END, received_at,
      CASE WHEN pending THEN NULL ELSE locked_at END, CASE WHEN pending THEN NULL ELSE owner END, received_at, received_at, order_key
    FROM decided ORDER BY n
    RETURNING id, event_id, destination, locked_by)
  SELECT 'stored' AS kind, id AS event_id, NULL AS source, NULL AS dedup_key, NULL::bigint AS delivery, NULL AS destination FROM ins
  UNION ALL SELECT 'known', event_id, source, dedup_key, NULL, NULL FROM known
  UNION ALL SELECT 'leased', event_id, NULL, NULL, id, destination FROM dins WHERE locked_by IS NOT NULL`

interface Row { kind: 'stored' | 'known' | 'leased', event_id: string, source: string | null, dedup_key: string | null, delivery: number | null, destination: string | null }

/**
 * Stores a batch of verified events (the group commit: ../group-commit.ts)
 * with the answers the SQLite adapter gives one by one. A key seen before
 * answers the first event's id: from this batch (its first wins), from
 * dedup_keys, or from events; one that lost a race with another replica is
 * read after the statement, which then sees the racer's committed row.
 */
export async function recordBatch (db: Conn | Pool, items: readonly RecordArgs[]): Promise<RecordResult[]> {
  const firstOfBatch = new Map<string, RecordArgs>()
  for (const args of items) {
    const key = keyOf(args.event.source, args.event.dedupKey)
    if (!firstOfBatch.has(key)) firstOfBatch.set(key, args)
  }
  const fresh = [...firstOfBatch.values()]
  const column = <T>(fn: (a: RecordArgs) => T): T[] => fresh.map(fn)
  // Replicas share this store: in a subject's line only a claim, under the line's lock, knows the head. Never leased here.
  const deliveries = fresh.flatMap(({ event, destinations, lease, ordered }) => destinations.map((destination) => {
    const key = orderKey(destination, ordered, event.subject)
    return { event, destination, key, lease: key === null && lease != null && lease.destinations.includes(destination) ? lease : null }
  }))
  const rows = await queryPrepared<Row>(db, RECORD, {
    id: column((a) => a.event.id),
    source: column((a) => a.event.source),
    provider: column((a) => a.event.provider),
    dedupKey: column((a) => a.event.dedupKey),
    type: column((a) => a.event.type),
    subject: column((a) => a.event.subject),
    occurredAt: column((a) => a.event.occurredAt),
    receivedAt: column((a) => a.event.receivedAt),
    headers: column((a) => a.event.headers),
    body: column((a) => Buffer.from(a.event.body.buffer, a.event.body.byteOffset, a.event.body.byteLength)),
    status: column((a) => a.destinations.length > 0 ? 'pending' : 'none'),
    dEvent: deliveries.map((d) => d.event.id),
    dDestination: deliveries.map((d) => d.destination),
    dReceivedAt: deliveries.map((d) => d.event.receivedAt),
    dLease: deliveries.map((d) => d.lease !== null),
    dLockedAt: deliveries.map((d) => d.lease?.at ?? null),
    dOwner: deliveries.map((d) => d.lease?.owner ?? null),
    dOrderKey: deliveries.map((d) => d.key)
  })
  const stored = new Set<string>()
  const firstId = new Map<string, string>()
  const leased = new Map<string, LeasedDelivery[]>()
  for (const row of rows.sort((a, b) => (a.delivery ?? 0) - (b.delivery ?? 0))) {
    if (row.kind === 'stored') stored.add(row.event_id)
    else if (row.kind === 'known') firstId.set(keyOf(row.source!, row.dedup_key!), row.event_id)
    else leased.set(row.event_id, [...(leased.get(row.event_id) ?? []), { id: row.delivery!, destination: row.destination! }])
  }
  for (const args of fresh) if (stored.has(args.event.id)) firstId.set(keyOf(args.event.source, args.event.dedupKey), args.event.id)
  const raced = fresh.filter((a) => !firstId.has(keyOf(a.event.source, a.event.dedupKey)))
  if (raced.length > 0) {
    for (const row of await query<{ source: string, dedup_key: string, id: string }>(db, `
      SELECT source, dedup_key, id FROM events WHERE (source, dedup_key) IN (SELECT * FROM unnest(@sources::text[], @keys::text[]))`,
    { sources: raced.map((a) => a.event.source), keys: raced.map((a) => a.event.dedupKey) })) {
      firstId.set(keyOf(row.source, row.dedup_key), row.id)
    }
  }
  return items.map((args): RecordResult => {
    if (stored.has(args.event.id)) return { id: args.event.id, duplicate: false, leased: leased.get(args.event.id) ?? [] }
    const id = firstId.get(keyOf(args.event.source, args.event.dedupKey))
    if (id === undefined) throw new Error('a duplicate whose first event is neither stored nor kept in dedup_keys')
    return { id, duplicate: true, leased: [] }
  })
}

/** The readiness probe: a real write, so "ready" means a commit can succeed. */
export async function probeWrite (conn: Conn, { now }: { now: number }): Promise<void> {
  await query(conn, "INSERT INTO meta (key, value) VALUES ('ready_probe', @now) ON CONFLICT (key) DO UPDATE SET value = excluded.value", { now: String(now) })
}
