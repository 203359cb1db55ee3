import type { FastifyBaseLogger } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import type { Clock } from '../clock.js'
import type { NewRejection } from '../db/queries/rejections.js'
import type { Writer } from '../db/writer.js'
import type { Metrics } from '../metrics/metrics.js'

/** How much of a refused body is kept: enough to recompute a signature over most webhooks. */
export const REJECTION_BODY_BYTES = 64 * 1024
/** Sampling budget: a burst of this many is kept, then this many per second. */
export const REJECTIONS_BURST = 20
export const REJECTIONS_PER_SECOND = 10
/** Rejection writes queued at once beyond which more are skipped: a slow disk must not pile them up. */
const MAX_IN_FLIGHT = 64

/** Headers never stored: credentials for the gateway or for whatever sits in front of it. */
const DROPPED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie'])

export interface Refusal {
  readonly source: string
  readonly reason: string
  readonly statusCode: number
  readonly message: string
  readonly remoteAddr: string | null
  readonly headers: IncomingHttpHeaders
  /** The body as read, or undefined when the request was refused before it was (413). */
  readonly body: unknown
}

export interface RejectionRecorderDeps {
  readonly writer: Writer
  readonly clock: Clock
  readonly metrics: Metrics
  readonly log: FastifyBaseLogger
  readonly maxRows: number
  readonly adminToken: string | undefined
}

/**
 * Keeps refused webhook requests for diagnosis without letting a flood of
 * them cost the genuine ones: a token bucket caps how many reach the writer
 * (the rest are only counted), the table is trimmed to maxRows, and the write
 * is fire-and-forget after the answer has gone.
 */
export function createRejectionRecorder (deps: RejectionRecorderDeps) {
  const { writer, clock, metrics, log } = deps
  let tokens = REJECTIONS_BURST
  let refilledAt = clock.now()
  let inFlight = 0

  function take (): boolean {
    const now = clock.now()
    tokens = Math.min(REJECTIONS_BURST, tokens + Math.max(0, now - refilledAt) * REJECTIONS_PER_SECOND / 1000)
    refilledAt = now
    if (tokens < 1) return false
    tokens -= 1
    return true
  }

  return function record (refusal: Refusal): void {
    if (deps.maxRows <= 0) return
    if (!take()) return void metrics.rejectionsSkipped.inc({ why: 'rate' })
    if (inFlight >= MAX_IN_FLIGHT) return void metrics.rejectionsSkipped.inc({ why: 'backlog' })
    inFlight++
    writer.run('recordRejection', { rejection: toRow(refusal, clock.now(), deps.adminToken), maxRows: deps.maxRows })
      .then(() => metrics.rejectionsStored.inc(), (err: unknown) => {
        metrics.rejectionsSkipped.inc({ why: 'error' })
        log.warn({ err }, 'keeping a rejected request failed')
      })
      .finally(() => { inFlight-- })
  }
}

function toRow (refusal: Refusal, now: number, adminToken: string | undefined): NewRejection {
  const body = Buffer.isBuffer(refusal.body) ? refusal.body : null
  const declared = Number(refusal.headers['content-length'])
  return {
    receivedAt: now,
    source: refusal.source.slice(0, 64),
    reason: refusal.reason,
    statusCode: refusal.statusCode,
    message: refusal.message.slice(0, 500),
    remoteAddr: refusal.remoteAddr,
    headers: JSON.stringify(keptHeaders(refusal.headers, adminToken)),
    // A copy of just the prefix: cloning a view to the writer thread would copy the whole buffer behind it.
    body: body === null ? null : new Uint8Array(body.subarray(0, REJECTION_BODY_BYTES)),
    bodyBytes: body !== null ? body.length : Number.isSafeInteger(declared) ? declared : null
  }
}

/** Signature headers are kept (they are why this table exists); credentials and anything holding the admin token are not. */
export function keptHeaders (headers: IncomingHttpHeaders, adminToken: string | undefined): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROPPED_HEADERS.has(name)) continue
    const text = Array.isArray(value) ? value.join(', ') : value
    if (adminToken !== undefined && text.includes(adminToken)) continue
    kept[name] = text
  }
  return kept
}
