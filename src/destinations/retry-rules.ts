/**
 * What an attempt's end means for its delivery, as data (undici's RetryAgent
 * keeps its statusCodes and errorCodes as lists the same way): `delivered`,
 * `retry` later, or `final` (dead: asking again would get the same answer).
 */
export type Verdict = 'delivered' | 'retry' | 'final'

/** Exact statuses that differ from their class: a timeout and a rate limit are worth another try. */
export const STATUS_VERDICTS: Readonly<Record<number, Verdict>> = { 408: 'retry', 429: 'retry' }

/**
 * By class. 3xx retries: redirects are not followed (that would send a
 * signed event where nobody configured it), but as at Svix a moved endpoint
 * is usually fixed by its owner. 410 Gone is final like any other 4xx.
 */
export const STATUS_CLASS_VERDICTS: Readonly<Record<number, Verdict>> = { 2: 'delivered', 3: 'retry', 4: 'final', 5: 'retry' }

/** undici's error codes that mean the attempt ran out of time, whichever phase it was in. */
export const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'])

/** Error codes that are final: a request the HTTP client refuses to send would be refused again. Any other error retries. */
export const ERROR_CODE_VERDICTS: Readonly<Record<string, Verdict>> = { UND_ERR_INVALID_ARG: 'final' }

/** A status outside every class (1xx, 6xx…) is a receiver misbehaving: retry. */
export function statusVerdict (status: number): Verdict {
  return STATUS_VERDICTS[status] ?? STATUS_CLASS_VERDICTS[Math.floor(status / 100)] ?? 'retry'
}

export function errorVerdict (code: string): Verdict {
  return ERROR_CODE_VERDICTS[code] ?? 'retry'
}
