/**
 * Every error code hookgate answers, logs or throws, in one place. Each is a
 * stable HG_ERR_* code; the README's error table lists the same set (a test
 * keeps them in step). Messages never echo a secret or a computed signature.
 */
import createError from '@fastify/error'

/* Ingest: what a webhook sender can get back */
export const HG_ERR_SOURCE_UNKNOWN = createError('HG_ERR_SOURCE_UNKNOWN', "Unknown source '%s'", 404)
export const HG_ERR_SIGNATURE_MISSING = createError('HG_ERR_SIGNATURE_MISSING', 'Missing signature headers: %s', 401)
export const HG_ERR_SIGNATURE_INVALID = createError('HG_ERR_SIGNATURE_INVALID', 'No matching signature', 401)
export const HG_ERR_TIMESTAMP_INVALID = createError('HG_ERR_TIMESTAMP_INVALID', 'Signature timestamp is not a valid time', 401)
export const HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE = createError('HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 'Signature timestamp is too %s', 401)
export const HG_ERR_PAYLOAD_INVALID = createError('HG_ERR_PAYLOAD_INVALID', 'Signed body is not a valid %s payload: %s', 400)
export const HG_ERR_BODY_TOO_LARGE = createError('HG_ERR_BODY_TOO_LARGE', 'Body is larger than %s bytes', 413)
export const HG_ERR_STORAGE_UNAVAILABLE = createError('HG_ERR_STORAGE_UNAVAILABLE', 'The gateway cannot store anything right now and stored nothing; retry in %s s', 503)
export const HG_ERR_OVERLOADED = createError('HG_ERR_OVERLOADED', 'Too many webhooks are waiting to be stored; nothing was stored, retry in %s s', 503)
export const HG_ERR_SHUTTING_DOWN = createError('HG_ERR_SHUTTING_DOWN', 'Gateway is shutting down', 503)
export const HG_ERR_BAD_REQUEST = createError('HG_ERR_BAD_REQUEST', 'Bad request: %s', 400)
export const HG_ERR_CONTENT_TYPE_INVALID = createError('HG_ERR_CONTENT_TYPE_INVALID', 'Unsupported or malformed Content-Type', 415)
export const HG_ERR_URL_TOO_LONG = createError('HG_ERR_URL_TOO_LONG', 'A path segment is too long', 414)
export const HG_ERR_REQUEST_TIMEOUT = createError('HG_ERR_REQUEST_TIMEOUT', 'The request did not arrive whole in time', 408)
export const HG_ERR_HEADERS_TOO_LARGE = createError('HG_ERR_HEADERS_TOO_LARGE', 'Request headers are too large', 431)
export const HG_ERR_NOT_FOUND = createError('HG_ERR_NOT_FOUND', 'Route %s not found', 404)
export const HG_ERR_INTERNAL = createError('HG_ERR_INTERNAL', 'Internal error', 500)

/*
 * Storage faults beneath a 503: the cause the log gives for
 * HG_ERR_STORAGE_UNAVAILABLE (beside SQLite's own SQLITE_* codes). Never
 * answered: toGatewayError turns any that reaches a reply into that 503.
 */
export const HG_ERR_WRITER_CLOSED = createError('HG_ERR_WRITER_CLOSED', 'The writer is closed: the gateway is stopping, or gave up after its writer thread kept dying', 503)
export const HG_ERR_WRITER_EXITED = createError('HG_ERR_WRITER_EXITED', 'The writer thread exited (code %s); the batch it was committing was refused', 503)
export const HG_ERR_WRITER_FAILED = createError('HG_ERR_WRITER_FAILED', 'The writer thread failed: %s', 503)
export const HG_ERR_WRITE_DATABASE_UNAVAILABLE = createError('HG_ERR_WRITE_DATABASE_UNAVAILABLE', 'PostgreSQL did not take the write: %s', 503)
export const HG_ERR_WRITE_EXPIRED = createError('HG_ERR_WRITE_EXPIRED', 'Dropped unsent: the write waited past its deadline, and its sender was already answered 503', 503)

/* Admin: the /admin API, /metrics and the CLI commands that call them */
export const HG_ERR_ADMIN_UNAUTHORIZED = createError('HG_ERR_ADMIN_UNAUTHORIZED', 'Missing or wrong admin token', 401)
export const HG_ERR_ADMIN_RATE_LIMITED = createError('HG_ERR_ADMIN_RATE_LIMITED', 'Too many failed admin authentications from this address; retry in %s s', 429)
export const HG_ERR_EVENT_NOT_FOUND = createError('HG_ERR_EVENT_NOT_FOUND', "Unknown event '%s'", 404)
export const HG_ERR_DELIVERY_NOT_FOUND = createError('HG_ERR_DELIVERY_NOT_FOUND', 'Unknown delivery %s', 404)
export const HG_ERR_DESTINATION_UNKNOWN = createError('HG_ERR_DESTINATION_UNKNOWN', "No destination named '%s' in the configuration", 404)
export const HG_ERR_NO_MATCHING_DESTINATION = createError('HG_ERR_NO_MATCHING_DESTINATION', 'No configured destination takes event %s; name one to replay it there', 409)
export const HG_ERR_DELIVERY_NOT_RETRYABLE = createError('HG_ERR_DELIVERY_NOT_RETRYABLE', 'Delivery %s %s', 409)
export const HG_ERR_DELIVERY_NOT_SKIPPABLE = createError('HG_ERR_DELIVERY_NOT_SKIPPABLE', 'Delivery %s %s', 409)

/* Boot */
export const HG_ERR_CONFIG_INVALID = createError('HG_ERR_CONFIG_INVALID', 'Invalid configuration:\n%s', 500, TypeError)
export const HG_ERR_MIGRATION_FAILED = createError('HG_ERR_MIGRATION_FAILED', 'Migration %s failed: %s', 500)
export const HG_ERR_STORAGE_IN_USE = createError('HG_ERR_STORAGE_IN_USE', 'Database %s is in use by another gateway (%s): stop that one first, or set storage.path to another file', 500)
export const HG_ERR_STORAGE_UNREACHABLE = createError('HG_ERR_STORAGE_UNREACHABLE', 'Cannot reach PostgreSQL at %s: %s', 500)
export const HG_ERR_LISTEN_FAILED = createError('HG_ERR_LISTEN_FAILED', 'Cannot listen on %s: %s', 500)
