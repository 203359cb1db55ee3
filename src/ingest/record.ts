import { prepared } from '../db/statements.js'
import type { Db } from '../db/open.js'
import type { OutgoingEvent } from '../destinations/types.js'

/** An event as ingest stores it: what will leave the gateway, plus the headers kept to verify it again. */
export interface NewEvent extends OutgoingEvent {
  /** JSON of the provider headers needed to verify the event again. */
  readonly headers: string
}

export interface RecordArgs {
  readonly event: NewEvent
  /** Destinations that must receive it, as routed at ingest time. */
  readonly destinations: readonly string[]
}

export interface RecordResult {
  readonly id: string
  readonly duplicate: boolean
}

/**
 * Stores a verified event and one delivery per destination, atomically (the
 * writer runs every op inside a transaction). The UNIQUE (source, dedup_key)
 * makes a provider retry, or a duplicate racing it, land on the first row.
 */
export function recordEvent (db: Db, { event, destinations }: RecordArgs): RecordResult {
  const inserted = prepared(db, `
    INSERT INTO events (id, source, provider, dedup_key, type, subject, occurred_at, received_at, headers, body, status)
    VALUES (@id, @source, @provider, @dedupKey, @type, @subject, @occurredAt, @receivedAt, @headers, @body, @status)
    ON CONFLICT (source, dedup_key) DO NOTHING`)
    .run({ ...event, body: Buffer.from(event.body.buffer, event.body.byteOffset, event.body.byteLength), status: destinations.length > 0 ? 'pending' : 'none' })
  if (inserted.changes === 0) {
    const existing = prepared<[string, string], { id: string }>(db, 'SELECT id FROM events WHERE source = ? AND dedup_key = ?')
      .get(event.source, event.dedupKey)
    return { id: existing!.id, duplicate: true }
  }
  const insertDelivery = prepared(db, `
    INSERT INTO deliveries (event_id, destination, status, attempts, run_at, created_at, updated_at)
    VALUES (?, ?, 'pending', 0, ?, ?, ?)`)
  for (const destination of destinations) {
    insertDelivery.run(event.id, destination, event.receivedAt, event.receivedAt, event.receivedAt)
  }
  return { id: event.id, duplicate: false }
}

/** The readiness probe: a real write, so "ready" means a commit can succeed. */
export function probeWrite (db: Db, { now }: { now: number }): boolean {
  prepared(db, "INSERT INTO meta (key, value) VALUES ('ready_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    .run(String(now))
  return true
}
