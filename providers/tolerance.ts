import { HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE } from '../src/errors.js'

/**
 * The replay window every timestamped scheme shares: a signed time further
 * than `toleranceMs` from `now`, either way, is refused (the bound itself is
 * accepted, as docs/provider-specs.md §1.6 and §3.2 require).
 */
export function requireWithinTolerance (sentAtMs: number, now: number, toleranceMs: number): void {
  if (now - sentAtMs > toleranceMs) throw new HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE('old')
  if (sentAtMs - now > toleranceMs) throw new HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE('new')
}
