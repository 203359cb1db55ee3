import type { LeasedDelivery, RecordArgs, RecordResult } from '../../../store/contract.js'
import { query, type Conn } from '../pool.js'
import { pausedNames } from './destinations.js'

const keyOf = (source: string, dedupKey: string): string => JSON.stringify([source, dedupKey])

/**
 * Stores a batch of verified events and their deliveries in the caller's one
 * transaction (the group commit: ../record-batcher.ts), with the answers the
 * SQLite adapter gives one by one. A key seen before answers the first
 * event's id: from dedup_keys (its event purged), from this batch (the first
 * of the batch wins), or from events; UNIQUE (source, dedup_key) with ON
 * CONFLICT DO NOTHING settles a race with another replica, since the insert
 * waits for the racer's commit, and the read after it sees the row. Rows go in
 * key order, so two batches lock the same keys in the same order (no deadlock).
 */
export async function recordBatch (conn: Conn, items: readonly RecordArgs[]): Promise<RecordResult[]> {
  const sources = items.map((a) => a.event.source)
  const keys = items.map((a) => a.event.dedupKey)
  const known = new Map<string, string>()
  for (const row of await query<{ source: string, dedup_key: string, event_id: string }>(conn, `
    SELECT source, dedup_key, event_id FROM dedup_keys WHERE (source, dedup_key) IN (SELECT * FROM unnest(@sources::text[], @keys::text[]))`, { sources, keys })) {
    known.set(keyOf(row.source, row.dedup_key), row.event_id)
  }
  const fresh: RecordArgs[] = []
  const firstOfBatch = new Map<string, string>()
  for (const args of items) {
    const key = keyOf(args.event.source, args.event.dedupKey)
    if (known.has(key) || firstOfBatch.has(key)) continue
    firstOfBatch.set(key, args.event.id)
    fresh.push(args)
  }
  const ordered = [...fresh].sort((a, b) => a.event.source < b.event.source ? -1 : a.event.source > b.event.source ? 1 : a.event.dedupKey < b.event.dedupKey ? -1 : a.event.dedupKey > b.event.dedupKey ? 1 : 0)
  const column = <T>(fn: (a: RecordArgs) => T): T[] => ordered.map(fn)
  const inserted = new Set((await query<{ id: string }>(conn, `
    INSERT INTO events (id, source, provider, dedup_key, type, subject, occurred_at, received_at, headers, body, status)
    SELECT * FROM unnest(@id::text[], @source::text[], @provider::text[], @dedupKey::text[], @type::text[], @subject::text[],
      @occurredAt::text[], @receivedAt::bigint[], @headers::text[], @body::bytea[], @status::text[])
    ON CONFLICT (source, dedup_key) DO NOTHING RETURNING id`, {
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
    status: column((a) => a.destinations.length > 0 ? 'pending' : 'none')
  })).map((r) => r.id))
  const lost = fresh.filter((a) => !inserted.has(a.event.id))
  if (lost.length > 0) {
    for (const row of await query<{ source: string, dedup_key: string, id: string }>(conn, `
      SELECT source, dedup_key, id FROM events WHERE (source, dedup_key) IN (SELECT * FROM unnest(@sources::text[], @keys::text[]))`,
    { sources: lost.map((a) => a.event.source), keys: lost.map((a) => a.event.dedupKey) })) {
      known.set(keyOf(row.source, row.dedup_key), row.id)
    }
  }
  const leased = await insertDeliveries(conn, fresh.filter((a) => inserted.has(a.event.id)))
  return items.map((args): RecordResult => {
    if (inserted.has(args.event.id)) return { id: args.event.id, duplicate: false, leased: leased.get(args.event.id) ?? [] }
    const key = keyOf(args.event.source, args.event.dedupKey)
    const id = known.get(key) ?? (inserted.has(firstOfBatch.get(key) ?? '') ? firstOfBatch.get(key) : undefined)
    if (id === undefined) throw new Error('a duplicate whose first event is neither stored nor kept in dedup_keys')
    return { id, duplicate: true, leased: [] }
  })
}

/**
 * One delivery per destination of each stored event, in one insert. Leased as
 * the SQLite adapter leases them: unless the destination is paused, or has a
 * delivery due and unclaimed at the event's receipt (committed before, or
 * queued earlier in this batch), which goes first.
 */
async function insertDeliveries (conn: Conn, stored: readonly RecordArgs[]): Promise<Map<string, LeasedDelivery[]>> {
  const anyLease = stored.some((a) => a.lease != null && a.lease.destinations.length > 0)
  const paused = anyLease ? await pausedNames(conn) : new Set<string>()
  const readySince = new Map<string, number>()
  if (anyLease) {
    const names = [...new Set(stored.flatMap((a) => a.destinations))]
    for (const row of await query<{ destination: string, at: number }>(conn, `
      SELECT destination, min(run_at) AS at FROM deliveries
      WHERE destination = ANY(@names::text[]) AND status = 'pending' AND locked_at IS NULL GROUP BY destination`, { names })) {
      readySince.set(row.destination, row.at)
    }
  }
  const rows = { eventId: [] as string[], destination: [] as string[], attempts: [] as number[], runAt: [] as number[], lockedAt: [] as Array<number | null>, lockedBy: [] as Array<string | null> }
  for (const { event, destinations, lease } of stored) {
    for (const destination of destinations) {
      const waiting = (readySince.get(destination) ?? Infinity) <= event.receivedAt
      const take = lease != null && lease.destinations.includes(destination) && !paused.has(destination) && !waiting
      rows.eventId.push(event.id)
      rows.destination.push(destination)
      rows.attempts.push(take ? 1 : 0)
      rows.runAt.push(event.receivedAt)
      rows.lockedAt.push(take ? lease.at : null)
      rows.lockedBy.push(take ? lease.owner : null)
      if (!take) readySince.set(destination, Math.min(readySince.get(destination) ?? Infinity, event.receivedAt))
    }
  }
  const leased = new Map<string, LeasedDelivery[]>()
  if (rows.eventId.length === 0) return leased
  const inserted = await query<{ id: number, event_id: string, destination: string, locked_by: string | null }>(conn, `
    INSERT INTO deliveries (event_id, destination, status, attempts, run_at, locked_at, locked_by, created_at, updated_at)
    SELECT e, d, 'pending', a, r, la, lb, r, r FROM unnest(@eventId::text[], @destination::text[], @attempts::int[], @runAt::bigint[], @lockedAt::bigint[], @lockedBy::text[]) AS t (e, d, a, r, la, lb)
    RETURNING id, event_id, destination, locked_by`, rows)
  for (const row of inserted.sort((a, b) => a.id - b.id)) {
    if (row.locked_by === null) continue
    let list = leased.get(row.event_id)
    if (list === undefined) leased.set(row.event_id, list = [])
    list.push({ id: row.id, destination: row.destination })
  }
  return leased
}

/** The readiness probe: a real write, so "ready" means a commit can succeed. */
export async function probeWrite (conn: Conn, { now }: { now: number }): Promise<void> {
  await query(conn, "INSERT INTO meta (key, value) VALUES ('ready_probe', @now) ON CONFLICT (key) DO UPDATE SET value = excluded.value", { now: String(now) })
}
