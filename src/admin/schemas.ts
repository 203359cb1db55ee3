/**
 * TypeBox schemas for the admin routes: Fastify's ajv validates input with
 * them (400 naming the field), fast-json-stringify writes answers with them,
 * and @fastify/swagger turns them into /admin/openapi.json.
 */
import { Type, type TSchema } from 'typebox'

/** Admin schemas refuse unknown fields (app.ts keeps ajv from silently dropping them). */
export const closed = { additionalProperties: false } as const

/** A plain `enum`, not TypeBox's anyOf of literals: ajv then says "must be equal to one of the allowed values". */
export const StringEnum = <T extends string>(values: readonly T[], options: Record<string, unknown> = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
export const Time = Type.String({ format: 'date-time', description: 'ISO 8601 time' })

export const EVENT_STATUSES = ['pending', 'delivered', 'dead', 'none'] as const
export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const
/** What holds a subject's line: its head is dead, waits for its next retry, or is being tried again. */
export const HELD_STATES = ['dead', 'retrying', 'in_flight'] as const

export const EventId = Type.String({ pattern: '^evt_[0-9A-Za-z_-]{1,64}$', description: 'Gateway event id (evt_…)' })
export const Name = Type.String({ minLength: 1, maxLength: 200 })
export const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Items per page' })
export const Range = {
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Only at or after this time (ISO 8601)' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Only before this time (ISO 8601)' }))
}

export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String({ description: 'HG_ERR_* code' }),
  error: Type.String(),
  message: Type.String()
}, { $id: 'ErrorReply' })
/** The error answers a route documents; the app's error handler writes them. */
export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, Type.Ref('ErrorReply')]))

export const Page = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item),
  nextCursor: Nullable(Type.String({ description: 'Pass as ?cursor= for the next page; null on the last one' }))
})

export const Headers = Type.Record(Type.String(), Type.String())
export const Body = {
  body: Nullable(Type.String({ description: 'The bytes as received: UTF-8 text, or base64 when they are not valid UTF-8' })),
  bodyEncoding: StringEnum(['utf8', 'base64'] as const)
}

export const EventSummary = Type.Object({
  id: Type.String(),
  source: Type.String(),
  provider: Type.String(),
  type: Type.String(),
  subject: Nullable(Type.String()),
  dedupKey: Type.String(),
  occurredAt: Nullable(Type.String()),
  receivedAt: Time,
  status: StringEnum(EVENT_STATUSES)
})

export const Attempt = Type.Object({
  attempt: Type.Integer(),
  startedAt: Time,
  durationMs: Type.Integer(),
  statusCode: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  responseBody: Nullable(Type.String())
})

const deliveryFields = {
  id: Type.Integer(),
  eventId: Type.String(),
  destination: Type.String(),
  status: StringEnum(DELIVERY_STATUSES),
  attemptCount: Type.Integer({ description: 'Attempts made in the current schedule (a manual retry of a dead delivery starts a new one)' }),
  runAt: Time,
  inFlight: Type.Boolean({ description: 'Leased to the dispatcher: being sent, or next in line for a free slot (its attempt already counted)' }),
  lastError: Nullable(Type.String()),
  lastStatus: Nullable(Type.Integer()),
  createdAt: Time,
  queuedAt: Time,
  updatedAt: Time,
  deliveredAt: Nullable(Time)
}
export const Delivery = Type.Object({ ...deliveryFields, source: Type.String(), type: Type.String() })
export const DeliveryFields = Type.Object(deliveryFields)

export const HeldSubject = Type.Object({
  destination: Type.String(),
  subject: Type.String(),
  state: StringEnum(HELD_STATES, { description: 'dead: the head died where dead heads block (onDead: block); retrying: it failed and waits for its runAt; in_flight: it is being tried again' }),
  waiting: Type.Integer({ description: 'Deliveries of the subject waiting behind the head' }),
  head: DeliveryFields
})
export const DeliveryWithAttempts = Type.Object({ ...deliveryFields, attempts: Type.Array(Attempt) })

export const EventDetail = Type.Object({
  ...EventSummary.properties,
  headers: Headers,
  ...Body,
  deliveries: Type.Array(DeliveryWithAttempts)
})

export const Destination = Type.Object({
  name: Type.String(),
  configured: Type.Boolean({ description: 'False for a name only left in the database (removed from the config with deliveries queued)' }),
  paused: Type.Boolean(),
  breakerOpen: Type.Boolean({ description: 'The circuit breaker holds deliveries back after repeated failures: only a probe goes until the receiver answers' }),
  pausedAt: Nullable(Time),
  pending: Type.Integer(),
  dead: Type.Integer(),
  deliveredLastHour: Type.Integer(),
  oldestPendingAgeSeconds: Nullable(Type.Number()),
  lastError: Nullable(Type.Object({ message: Type.String(), status: Nullable(Type.Integer()), at: Time })),
  ordering: StringEnum(['none', 'subject'] as const, { description: 'subject: deliveries of one event subject go one at a time, in the order received' }),
  onDead: Nullable(StringEnum(['skip', 'block'] as const, { description: 'With ordering subject, what a dead head does: skip (the next goes) or block (held for an operator)' })),
  heldSubjects: Type.Integer({ description: 'Subjects held up behind a failed or (blocking) dead head: GET /admin/held lists them' }),
  heldDeliveries: Type.Integer({ description: 'Deliveries waiting behind those heads' })
})

export const Rejection = Type.Object({
  id: Type.Integer(),
  receivedAt: Time,
  source: Type.String(),
  reason: Type.String({ description: 'The HG_ERR_* code answered' }),
  statusCode: Type.Integer(),
  message: Type.String(),
  remoteAddr: Nullable(Type.String()),
  headers: Headers,
  ...Body,
  bodyBytes: Nullable(Type.Integer({ description: 'Size of the whole body; the first 64 KiB are kept' })),
  bodyTruncated: Type.Boolean()
})
