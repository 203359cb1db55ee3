import type { FastifyBaseLogger } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import type { AnyProvider } from '../../providers/types.js'
import type { Clock } from '../clock.js'
import { UNKNOWN_SOURCE, type Metrics } from '../metrics/metrics.js'
import type { NewRejection, Store } from '../store/contract.js'

/** How much of a refused body is kept: enough to recompute a signature over most webhooks. */
export const REJECTION_BODY_BYTES = 64 * 1024
/** Sampling budget, per source (unknown sources share one): a burst of this many is kept, then this many per second. */
export const REJECTIONS_BURST = 20
export const REJECTIONS_PER_SECOND = 10
/** Rejection writes queued at once beyond which more are skipped: a slow disk must not pile them up. */
const MAX_IN_FLIGHT = 64

/**
 * Headers kept besides the ones the source's provider names (its signature
 * scheme): enough to tell what sent a request and how. Everything else is
 * dropped, since any header may carry a credential (authorization, cookies,
 * x-api-key, a proxy's own token…) and an allow-list cannot miss one.
 */
export const GENERIC_KEPT_HEADERS = ['content-type', 'content-length', 'user-agent', 'x-forwarded-for'] as const

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
  readonly store: Pick<Store, 'recordRejection'>
  readonly clock: Clock
  readonly metrics: Metrics
  readonly log: FastifyBaseLogger
  readonly maxRows: number
  /** Total bytes kept (bodies, headers, messages); the oldest go first past it. */
  readonly maxBytes: number
  readonly adminToken: string | undefined
  /** The configured sources: which headers each keeps, and which get a bucket of their own. */
  readonly sources: Readonly<Record<string, { readonly provider: string }>>
  /** The config's provider registry (built-ins and plugins), where each source's stored headers are listed. */
  readonly providers: Readonly<Record<string, AnyProvider>>
}

/**
 * Keeps refused webhook requests for diagnosis without letting a flood of
 * them cost the genuine ones: a token bucket per source caps how many reach
 * the writer (the rest are only counted), so a flood at one source cannot use
 * another's budget; the table is trimmed to maxRows and maxBytes, and the
 * write is fire-and-forget after the answer has gone.
 */
export function createRejectionRecorder (deps: RejectionRecorderDeps) {
  const { store, clock, metrics, log } = deps
  // One per configured source plus one all unknown names share, so the map is bounded by the config.
  const buckets = new Map<string, { tokens: number, refilledAt: number }>()
  let inFlight = 0

  function take (source: string): boolean {
    const now = clock.now()
    const key = Object.hasOwn(deps.sources, source) ? source : UNKNOWN_SOURCE
    let bucket = buckets.get(key)
    if (bucket === undefined) buckets.set(key, bucket = { tokens: REJECTIONS_BURST, refilledAt: now })
    bucket.tokens = Math.min(REJECTIONS_BURST, bucket.tokens + Math.max(0, now - bucket.refilledAt) * REJECTIONS_PER_SECOND / 1000)
    bucket.refilledAt = now
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  function keptFor (source: string): readonly string[] {
    const configured = Object.hasOwn(deps.sources, source) ? deps.sources[source] : undefined
    return configured === undefined ? GENERIC_KEPT_HEADERS : [...(deps.providers[configured.provider]?.storedHeaders ?? []), ...GENERIC_KEPT_HEADERS]
  }

  return function record (refusal: Refusal): void {
    if (deps.maxRows <= 0) return
    if (!take(refusal.source)) return void metrics.rejectionsSkipped.inc({ why: 'rate' })
    if (inFlight >= MAX_IN_FLIGHT) return void metrics.rejectionsSkipped.inc({ why: 'backlog' })
    inFlight++
    const rejection = toRow(refusal, clock.now(), keptFor(refusal.source), deps.adminToken)
    store.recordRejection({ rejection, maxRows: deps.maxRows, maxBytes: deps.maxBytes })
      .then(() => metrics.rejectionsStored.inc(), (err: unknown) => {
        metrics.rejectionsSkipped.inc({ why: 'error' })
        log.warn({ err }, 'keeping a rejected request failed')
      })
      .finally(() => { inFlight-- })
  }
}

function toRow (refusal: Refusal, now: number, allowed: readonly string[], adminToken: string | undefined): NewRejection {
  const body = Buffer.isBuffer(refusal.body) ? refusal.body : null
  const declared = Number(refusal.headers['content-length'])
  return {
    receivedAt: now,
    source: refusal.source.slice(0, 64),
    reason: refusal.reason,
    statusCode: refusal.statusCode,
    message: refusal.message.slice(0, 500),
    remoteAddr: refusal.remoteAddr,
    headers: JSON.stringify(keptHeaders(refusal.headers, allowed, adminToken)),
    // A copy of just the prefix: cloning a view to the writer thread would copy the whole buffer behind it.
    body: body === null ? null : new Uint8Array(body.subarray(0, REJECTION_BODY_BYTES)),
    bodyBytes: body !== null ? body.length : Number.isSafeInteger(declared) ? declared : null
  }
}

/** Only the `allowed` headers (signature headers are why this table exists), and none holding the admin token. */
export function keptHeaders (headers: IncomingHttpHeaders, allowed: readonly string[], adminToken: string | undefined): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const name of allowed) {
    const value = headers[name]
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(', ') : value
    if (adminToken !== undefined && text.includes(adminToken)) continue
    kept[name] = text
  }
  return kept
}
