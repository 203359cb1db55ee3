import type { LeasedDelivery, RecordArgs, RecordResult } from '../../../store/contract.js'
import type { Db } from '../open.js'
import { prepared } from '../statements.js'
import { pausedNames } from './destinations.js'
import { orderKey } from '../../shared/subject-line.js'

/**
 * Stores a verified event and one delivery per destination, atomically (the
 * writer runs every op inside a transaction). The UNIQUE (source, dedup_key)
 * makes a provider retry, or a duplicate racing it, land on the first row;
 * after retention deleted that row, dedup_keys still answers with its id.
 * Deliveries under `lease` are inserted as a claim would leave them, so the
 * dispatcher sends them as soon as the commit is in, without a claim's round
 * trip through the writer (which waits behind other commits' fsyncs). Unless
 * the destination is paused, or has older deliveries due and unclaimed: those
 * go first, in run_at order, through claims, and this one queues behind them.
 * A delivery in a subject's line (an ordered destination) is leased only at
 * the head of its line: nothing of the line pending (leased or not) or dead.
 * That holds because this store has one writer and one dispatcher (it is
 * exclusive): no one else can lease the line between this read and the
 * commit. A dead one blocks here even under `onDead: skip`: declining a lease
 * is always safe, the claim then judges the line.
 */
export function recordEvent (db: Db, { event, destinations, lease, ordered }: RecordArgs): RecordResult {
  // A key whose event retention has deleted still names it (0005): without
  // this, a replay of the legacy Chaindoc scheme, which has no timestamp,
  // would be stored and forwarded again once the original is purged.
  const purged = prepared<[string, string], string>(db, 'SELECT event_id FROM dedup_keys WHERE source = ? AND dedup_key = ?')
    .pluck().get(event.source, event.dedupKey)
  if (purged !== undefined) return { id: purged, duplicate: true, leased: [] }
  const inserted = prepared(db, `
    INSERT INTO events (id, source, provider, dedup_key, type, subject, occurred_at, received_at, headers, body, status)
    VALUES (@id, @source, @provider, @dedupKey, @type, @subject, @occurredAt, @receivedAt, @headers, @body, @status)
    ON CONFLICT (source, dedup_key) DO NOTHING`)
    .run({ ...event, body: Buffer.from(event.body.buffer, event.body.byteOffset, event.body.byteLength), status: destinations.length > 0 ? 'pending' : 'none' })
  if (inserted.changes === 0) {
    const existing = prepared<[string, string], { id: string }>(db, 'SELECT id FROM events WHERE source = ? AND dedup_key = ?')
      .get(event.source, event.dedupKey)
    return { id: existing!.id, duplicate: true, leased: [] }
  }
  const insertDelivery = prepared(db, `
    INSERT INTO deliveries (event_id, destination, status, attempts, run_at, created_at, updated_at, order_key)
    VALUES (?, ?, 'pending', 0, ?, ?, ?, ?)`)
  const insertLeased = prepared(db, `
    INSERT INTO deliveries (event_id, destination, status, attempts, run_at, locked_at, locked_by, created_at, updated_at, order_key)
    VALUES (?, ?, 'pending', 1, ?, ?, ?, ?, ?, ?)`)
  // Both read in this transaction, so whatever committed before it is seen.
  const paused = lease == null ? null : pausedNames(db)
  const waiting = prepared<[string, number], number>(db, `
    SELECT EXISTS (SELECT 1 FROM deliveries INDEXED BY deliveries_ready_by_destination
      WHERE destination = ? AND status = 'pending' AND locked_at IS NULL AND run_at <= ?)`).pluck()
  const inLine = prepared<[string, string], number>(db, `
    SELECT EXISTS (SELECT 1 FROM deliveries INDEXED BY deliveries_subject_line
      WHERE destination = ? AND order_key = ? AND status IN ('pending', 'dead'))`).pluck()
  const leased: LeasedDelivery[] = []
  for (const destination of destinations) {
    const key = orderKey(destination, ordered, event.subject)
    if (lease != null && lease.destinations.includes(destination) && paused?.has(destination) !== true &&
      waiting.get(destination, event.receivedAt) === 0 && (key === null || inLine.get(destination, key) === 0)) {
      const { lastInsertRowid } = insertLeased.run(event.id, destination, event.receivedAt, lease.at, lease.owner, event.receivedAt, event.receivedAt, key)
      leased.push({ id: Number(lastInsertRowid), destination })
    } else {
      insertDelivery.run(event.id, destination, event.receivedAt, event.receivedAt, event.receivedAt, key)
    }
  }
  return { id: event.id, duplicate: false, leased }
}

/** The readiness probe: a real write, so "ready" means a commit can succeed. */
export function probeWrite (db: Db, { now }: { now: number }): boolean {
  prepared(db, "INSERT INTO meta (key, value) VALUES ('ready_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    .run(String(now))
  return true
}
