import { HG_ERR_SIGNATURE_MISSING, HG_ERR_TIMESTAMP_INVALID, HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE } from '../src/errors.js'
import type { RawRequest } from './types.js'

const UNIX_SECONDS = /^\d{1,12}$/

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
