/** Database rows as the admin API shows them: camelCase, ISO times, bodies as text when they are text. */
import { HELD_STATES } from './schemas.js'
import type { AttemptRow, DeliveryListRow, DeliveryRow, DestinationFigures, EventDetail, EventRow, HeldCount, HeldSubject, RejectionRow } from '../store/contract.js'
import type { SubjectOrdering } from '../config/load.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })
const iso = (ms: number): string => new Date(ms).toISOString()
const isoOrNull = (ms: number | null): string | null => ms === null ? null : iso(ms)

/** Exact bytes as UTF-8 text when they are valid UTF-8 (nearly every webhook), base64 otherwise. */
export function presentBody (bytes: Uint8Array | null): { body: string | null, bodyEncoding: 'utf8' | 'base64' } {
  if (bytes === null) return { body: null, bodyEncoding: 'utf8' }
  try {
    return { body: utf8.decode(bytes), bodyEncoding: 'utf8' }
  } catch {
    return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), bodyEncoding: 'base64' }
  }
}

function parseHeaders (json: string): Record<string, string> {
  try {
    return JSON.parse(json) as Record<string, string>
  } catch {
    return {}
  }
}

export function presentEvent (row: EventRow) {
  return {
    id: row.id,
    source: row.source,
    provider: row.provider,
    type: row.type,
    subject: row.subject,
    dedupKey: row.dedup_key,
    occurredAt: row.occurred_at,
    receivedAt: iso(row.received_at),
    status: row.status
  }
}

export function presentDeliveryFields (row: DeliveryRow) {
  return {
    id: row.id,
    eventId: row.event_id,
    destination: row.destination,
    status: row.status,
    attemptCount: row.attempts,
    runAt: iso(row.run_at),
    inFlight: row.locked_at !== null,
    lastError: row.last_error,
    lastStatus: row.last_status,
    createdAt: iso(row.created_at),
    queuedAt: iso(row.queued_at ?? row.created_at),
    updatedAt: iso(row.updated_at),
    deliveredAt: isoOrNull(row.delivered_at)
  }
}

export const presentDelivery = (row: DeliveryListRow) => ({ ...presentDeliveryFields(row), source: row.source, type: row.type })

export type HeldState = typeof HELD_STATES[number]

/**
 * A held subject and what holds it: its head is dead (where dead heads
 * block), or failed and is retrying (due at its runAt), or in flight again.
 */
export function presentHeld ({ destination, subject, head, waiting }: HeldSubject) {
  const state: HeldState = head.status === 'dead' ? 'dead' : head.locked_at !== null ? 'in_flight' : 'retrying'
  return { destination, subject, state, waiting, head: presentDeliveryFields(head) }
}

function presentAttempt (row: AttemptRow) {
  return {
    attempt: row.attempt,
    startedAt: iso(row.started_at),
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    error: row.error,
    responseBody: row.response_body
  }
}

export function presentEventDetail ({ event, deliveries }: EventDetail) {
  return {
    ...presentEvent(event),
    headers: parseHeaders(event.headers),
    ...presentBody(event.body),
    deliveries: deliveries.map((d) => ({ ...presentDeliveryFields(d), attempts: d.attemptRows.map(presentAttempt) }))
  }
}

export function presentDestination (figures: DestinationFigures, { configured, now }: { configured: boolean, now: number }) {
  return {
    name: figures.name,
    configured,
    paused: figures.paused,
    pausedAt: isoOrNull(figures.pausedAt),
    pending: figures.pending,
    dead: figures.dead,
    deliveredLastHour: figures.deliveredSince,
    oldestPendingAgeSeconds: figures.oldestPendingSince === null ? null : Math.max(0, (now - figures.oldestPendingSince) / 1000),
    lastError: figures.lastError === null ? null : { ...figures.lastError, at: iso(figures.lastError.at) }
  }
}

/** How a destination orders its deliveries, and what is held up there. */
export function presentOrdering (ordering: SubjectOrdering | null, held: HeldCount | undefined) {
  return { ordering: ordering === null ? 'none' as const : 'subject' as const, onDead: ordering?.onDead ?? null, heldSubjects: held?.subjects ?? 0, heldDeliveries: held?.waiting ?? 0 }
}

export function presentRejection (row: RejectionRow) {
  return {
    id: row.id,
    receivedAt: iso(row.received_at),
    source: row.source,
    reason: row.reason,
    statusCode: row.status_code,
    message: row.message,
    remoteAddr: row.remote_addr,
    headers: parseHeaders(row.headers),
    ...presentBody(row.body),
    bodyBytes: row.body_bytes,
    bodyTruncated: row.body !== null && row.body_bytes !== null && row.body.length < row.body_bytes
  }
}
