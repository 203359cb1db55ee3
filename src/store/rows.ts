/**
 * The read shapes of the storage contract: rows as the admin API, metrics and
 * the CLI read them, and the filters they read by. Column names are the
 * tables' own (snake_case): admin/present.ts turns them into the API's shapes.
 * Features import these through src/store/contract.ts.
 */

/** A page of rows, newest first, and where the next one starts (null on the last page). */
export interface Page<T> {
  readonly items: T[]
  readonly nextCursor: string | null
}

/* Events */

export interface EventFilter {
  readonly source?: string | undefined
  readonly type?: string | undefined
  readonly status?: string | undefined
  readonly subject?: string | undefined
  /** A GLOB pattern on the type ('user.*'). */
  readonly typeGlob?: string | undefined
  /** An event id or a dedup key, matched exactly: the key through UNIQUE (source, dedup_key), once per source named. */
  readonly search?: { readonly text: string, readonly sources: readonly string[] } | undefined
  readonly since?: number | undefined
  readonly until?: number | undefined
  /** The last id of the previous page: ids sort by time, so this pages newest first. */
  readonly cursor?: string | undefined
  readonly limit: number
}

export interface EventRow {
  id: string
  source: string
  provider: string
  dedup_key: string
  type: string
  subject: string | null
  occurred_at: string | null
  received_at: number
  status: string
}

export interface EventDetailRow extends EventRow {
  headers: string
  body: Uint8Array
}

export interface EventDetail {
  readonly event: EventDetailRow
  readonly deliveries: ReadonlyArray<DeliveryRow & { attemptRows: AttemptRow[] }>
}

/** The source and type a replay routes by. */
export interface EventOrigin {
  readonly source: string
  readonly type: string
}

/* Deliveries */

export interface DeliveryRow {
  id: number
  event_id: string
  destination: string
  status: string
  attempts: number
  run_at: number
  /** Set while leased: when, and to which process. */
  locked_at: number | null
  locked_by: string | null
  last_error: string | null
  last_status: number | null
  created_at: number
  updated_at: number
  delivered_at: number | null
  queued_at: number | null
  /** The subject whose line it is in (a destination with ordering: subject), or null. */
  order_key: string | null
}

export interface AttemptRow {
  id: number
  delivery_id: number
  attempt: number
  started_at: number
  duration_ms: number
  status_code: number | null
  error: string | null
  response_body: string | null
}

export interface DeliveryFilter {
  readonly status?: string | undefined
  readonly destination?: string | undefined
  readonly eventId?: string | undefined
  /** On the delivery's creation time. */
  readonly since?: number | undefined
  readonly until?: number | undefined
  /** Only pending deliveries waiting for a later retry at this time: unleased, due after it. */
  readonly waitingAt?: number | undefined
}

/** A delivery with its event's source and type, so a list reads without a second call. */
export interface DeliveryListRow extends DeliveryRow {
  source: string
  type: string
}

/* Destinations */

export interface QueueDepth {
  pending: number
  dead: number
  /** When the longest-waiting pending delivery entered the queue, or null when none waits. */
  oldestPendingSince: number | null
}

export interface PauseState { name: string, paused: boolean, pausedAt: number | null }

export interface DestinationFigures extends QueueDepth {
  name: string
  paused: boolean
  pausedAt: number | null
  deliveredSince: number
  lastError: { message: string, status: number | null, at: number } | null
}

/**
 * A subject whose line is held up at one destination: its head failed and
 * deliveries wait behind it, or its head is dead where dead heads block.
 */
export interface HeldSubject {
  destination: string
  subject: string
  /** The head: the oldest delivery of the line still pending or (blocking) dead. */
  head: DeliveryRow
  /** Deliveries behind the head. */
  waiting: number
}

export interface HeldFilter {
  readonly destination?: string | undefined
  /** The destinations that order by subject, and what a dead head does there (where it skips, a dead delivery holds nothing). */
  readonly ordering: Readonly<Record<string, 'skip' | 'block'>>
  /** Oldest head first; the cursor is the last head's delivery id. */
  readonly cursor?: number | undefined
  readonly limit: number
}

/** Held subjects and the deliveries waiting behind them, per destination that has any. */
export interface HeldCount { subjects: number, waiting: number }

/* Rejections */

/** A refused webhook request as kept for diagnosis. */
export interface NewRejection {
  readonly receivedAt: number
  readonly source: string
  readonly reason: string
  readonly statusCode: number
  readonly message: string
  readonly remoteAddr: string | null
  /** JSON of the request headers, already redacted. */
  readonly headers: string
  /** The body's first bytes, or null when it was refused before being read. */
  readonly body: Uint8Array | null
  readonly bodyBytes: number | null
}

export interface RejectionFilter {
  readonly source?: string | undefined
  readonly reason?: string | undefined
  readonly since?: number | undefined
  readonly until?: number | undefined
  /** The last id of the previous page. */
  readonly cursor?: number | undefined
  readonly limit: number
}

export interface RejectionRow {
  id: number
  received_at: number
  source: string
  reason: string
  status_code: number
  message: string
  remote_addr: string | null
  headers: string
  body: Uint8Array | null
  body_bytes: number | null
}

/** The clock hours to count: `hours` of them, the last one the hour `now` is in (up to now). */
export interface TrafficArgs { readonly now: number, readonly hours: number }
/** Counts by source name; a source with none is absent. */
export type TrafficCounts = Readonly<Record<string, number>>
export interface Traffic {
  /** Oldest first; each starts on a clock hour. */
  readonly buckets: ReadonlyArray<{ readonly start: number, readonly accepted: TrafficCounts, readonly rejected: TrafficCounts }>
  /** The 60 minutes up to now. */
  readonly lastHour: { readonly accepted: TrafficCounts, readonly rejected: TrafficCounts }
}
