import { Pool, type Dispatcher } from 'undici'
import { parseRetryAfter } from './retry-after.js'
import { errorVerdict, statusVerdict, TIMEOUT_CODES } from './retry-rules.js'
import type { Outcome } from './types.js'

/** The most of an answer's body kept on the attempt row. */
export const RESPONSE_SNIPPET_BYTES = 1024
/** Past this much, the rest of a body is not worth reading to save the connection. */
const DRAIN_LIMIT_BYTES = 64 * 1024

export interface HttpAttempt {
  /** The destination's keep-alive pool (see createPool). */
  readonly pool: Dispatcher
  /** Path and query on the pool's origin. */
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  /** Bounds the whole attempt: connect, send, headers and body. */
  readonly timeoutMs: number
  /** Aborts the attempt early (graceful stop); its reason becomes the outcome's. */
  readonly signal?: AbortSignal
  /** For Retry-After given as an HTTP date. */
  readonly now: () => number
}

/** One keep-alive pool per destination: its concurrency is its number of sockets. Redirects are never followed. */
export function createPool (url: string, concurrency: number, timeoutMs: number): Pool {
  return new Pool(new URL(url).origin, { connections: concurrency, connect: { timeout: timeoutMs }, keepAliveTimeout: 30_000 })
}

/** POSTs one event; the answer, a network error or a timeout become an Outcome. */
export async function deliverHttp (attempt: HttpAttempt): Promise<Outcome> {
  const deadline = attemptDeadline(attempt.timeoutMs, attempt.signal)
  try {
    return await exchange(attempt, deadline.signal)
  } finally {
    deadline.clear()
  }
}

/**
 * One signal for the attempt: its timeout or the caller's abort, whichever
 * comes first. A plain controller and timer, cleared when the attempt ends:
 * AbortSignal.timeout leaves its timer armed for the whole timeout after
 * every attempt, and AbortSignal.any tracks its sources by weak reference,
 * together about 20 µs of CPU per attempt more (undici on loopback, measured).
 */
function attemptDeadline (timeoutMs: number, outer: AbortSignal | undefined): { signal: AbortSignal, clear: () => void } {
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')) }, timeoutMs)
  const stop = (): void => { controller.abort(outer?.reason) }
  if (outer?.aborted === true) stop()
  else outer?.addEventListener('abort', stop, { once: true })
  return { signal: controller.signal, clear: () => { clearTimeout(timer); outer?.removeEventListener('abort', stop) } }
}

async function exchange (attempt: HttpAttempt, signal: AbortSignal): Promise<Outcome> {
  let answer: Dispatcher.ResponseData
  try {
    answer = await attempt.pool.request({
      method: 'POST',
      path: attempt.path,
      headers: attempt.headers,
      body: attempt.body,
      headersTimeout: attempt.timeoutMs,
      bodyTimeout: attempt.timeoutMs,
      signal
    })
  } catch (err) {
    return failure(err, signal, attempt.timeoutMs)
  }
  const status = answer.statusCode
  let response: string
  try {
    response = await readSnippet(answer.body)
  } catch (err) {
    // The status came but the body broke off or timed out: the receiver may not have finished.
    return { ...failure(err, signal, attempt.timeoutMs), status }
  }
  return classify(status, answer.headers['retry-after'], response, attempt.now())
}

/** An answer as an Outcome, by the status table in retry-rules.ts; Retry-After is a floor on a retry's delay. */
export function classify (status: number, retryAfter: string | string[] | undefined, response: string, now: number): Outcome {
  const verdict = statusVerdict(status)
  if (verdict === 'delivered') return { ok: true, status, response }
  if (verdict === 'final') {
    const reason = status === 410 ? 'HTTP 410 Gone: the receiver asked not to be sent this again' : `HTTP ${status}`
    return { ok: false, retry: false, reason, status, response }
  }
  const reason = status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}`
  const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, now)
  return { ok: false, retry: true, reason, status, response, ...(retryAfterMs > 0 ? { retryAfterMs } : {}) }
}

/** The answer's first bytes; read by events, not `for await`, which costs a few µs more per attempt. */
function readSnippet (body: Dispatcher.ResponseData['body']): Promise<string> {
  return new Promise((resolve, reject) => {
    const kept: Buffer[] = []
    let keptBytes = 0
    let readBytes = 0
    const done = (): void => { resolve(Buffer.concat(kept).toString('utf8')) }
    body.on('data', (chunk: Buffer) => {
      if (keptBytes < RESPONSE_SNIPPET_BYTES) {
        const part = chunk.subarray(0, RESPONSE_SNIPPET_BYTES - keptBytes)
        kept.push(part)
        keptBytes += part.length
      }
      readBytes += chunk.length
      // Destroying the stream closes the socket: fine for a rare huge answer,
      // while reading small ones to the end keeps the connection.
      if (readBytes > DRAIN_LIMIT_BYTES) { body.destroy(); done() }
    })
    body.once('end', done)
    body.once('error', reject)
  })
}

/** A network error or a timeout as an Outcome, by the error tables in retry-rules.ts. */
function failure (err: unknown, signal: AbortSignal, timeoutMs: number): Outcome {
  if (signal.aborted) {
    const why = signal.reason as { name?: string, message?: string } | undefined
    const reason = why?.name === 'TimeoutError' ? `timeout: no complete answer within ${timeoutMs} ms` : `aborted: ${why?.message ?? 'stopped'}`
    return { ok: false, retry: true, reason }
  }
  const e = err as { code?: string, message?: string }
  const code = typeof e?.code === 'string' ? e.code : 'ERROR'
  if (TIMEOUT_CODES.has(code)) return { ok: false, retry: true, reason: `timeout: ${code}` }
  if (errorVerdict(code) === 'final') return { ok: false, retry: false, reason: `request refused by the HTTP client: ${e.message ?? code}` }
  return { ok: false, retry: true, reason: `${code}: ${e?.message ?? String(err)}`.slice(0, 500) }
}
