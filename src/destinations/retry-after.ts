/**
 * Retry-After as milliseconds from `now`: delta-seconds or an HTTP date
 * (RFC 9110 §10.2.3). Anything else, or a time already past, is 0.
 */
export function parseRetryAfter (value: string | undefined, now: number): number {
  if (value === undefined) return 0
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? 0 : Math.max(0, at - now)
}
