import { HG_ERR_SIGNATURE_MISSING, HG_ERR_TIMESTAMP_INVALID, HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE } from '../src/errors.js'
import type { RawRequest } from './types.js'

const UNIX_SECONDS = /^\d{1,12}$/
const HEX_SHA256 = /^[0-9a-f]{64}$/i

/**
 * The replay window every timestamped scheme shares: a signed time further
 * than `toleranceMs` from `now`, either way, is refused (the bound itself is
 * accepted, as docs/provider-specs.md §1.6 and §3.2 require).
 */
export function requireWithinTolerance (sentAtMs: number, now: number, toleranceMs: number): void {
  if (now - sentAtMs > toleranceMs) throw new HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE('old')
  if (sentAtMs - now > toleranceMs) throw new HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE('new')
}

/**
 * A scheme that sends its signature and its Unix-seconds timestamp in two
 * headers (Slack, Discord, Zoom): both present (else 401 missing), the time
 * an integer (else 401 invalid) within the window. Only then is the
 * signature worth computing.
 */
export function signedAtHeaders (req: RawRequest, signatureHeader: string, timestampHeader: string, now: number, toleranceMs: number): { signature: string, timestamp: string } {
  const signature = req.headers[signatureHeader]
  const timestamp = req.headers[timestampHeader]
  if (!signature || !timestamp) throw new HG_ERR_SIGNATURE_MISSING(`${signatureHeader}, ${timestampHeader}`)
  if (!UNIX_SECONDS.test(timestamp)) throw new HG_ERR_TIMESTAMP_INVALID()
  requireWithinTolerance(Number(timestamp) * 1000, now, toleranceMs)
  return { signature, timestamp }
}

export interface SignedAtHeaderKeys {
  /** What separates the header's `key=value` items. */
  readonly separator: string | RegExp
  readonly timestampKey: string
  readonly signatureKey: string
}

/**
 * A scheme that sends one Unix-seconds timestamp and any number of hex
 * HMAC-SHA256 signatures in one header (Stripe `t=…,v1=…`, Paddle
 * `ts=…;h1=…`): present (else 401 missing), exactly one timestamp, an
 * integer (else 401 invalid; a repeated header arrives joined with ', ', and
 * its second timestamp makes the pair ambiguous) within the window.
 * Signatures that are not 64 hex digits are skipped, as other versions are.
 */
export function signedAtHeader (req: RawRequest, header: string, keys: SignedAtHeaderKeys, now: number, toleranceMs: number): { timestamp: string, signatures: Buffer[] } {
  const value = req.headers[header]?.trim()
  if (!value) throw new HG_ERR_SIGNATURE_MISSING(header)
  const timestamps: string[] = []
  const signatures: Buffer[] = []
  for (const item of value.split(keys.separator)) {
    const at = item.indexOf('=')
    const key = item.slice(0, at).trim()
    const given = item.slice(at + 1).trim()
    if (key === keys.timestampKey) timestamps.push(given)
    else if (key === keys.signatureKey && HEX_SHA256.test(given)) signatures.push(Buffer.from(given, 'hex'))
  }
  const timestamp = timestamps.length === 1 ? timestamps[0]! : ''
  if (!UNIX_SECONDS.test(timestamp)) throw new HG_ERR_TIMESTAMP_INVALID()
  requireWithinTolerance(Number(timestamp) * 1000, now, toleranceMs)
  return { timestamp, signatures }
}
