/**
 * A bound on the memory verified webhooks hold while they wait for their
 * commit. During a stall (a locked or failing store) each waiting request
 * keeps a copy of its body; without a bound they pile up until the process
 * runs out of memory. Past the bound ingest answers 503 at once, and the
 * sender's retry comes when the queue has drained.
 */

/** What a webhook costs beyond its body: the event row's other columns, the request's objects. */
export const PER_WEBHOOK_BYTES = 1024

export interface IngestBudget {
  readonly limitBytes: number
  readonly inFlightBytes: number
  /** Reserves room for a webhook of this body size; false when it does not fit. One always fits in an empty budget. */
  take (bodyBytes: number): boolean
  /** Gives back what take() reserved, once the write has settled (not when the sender was answered). */
  give (bodyBytes: number): void
}

export function createIngestBudget (limitBytes: number): IngestBudget {
  let inFlightBytes = 0
  return {
    limitBytes,
    get inFlightBytes () { return inFlightBytes },
    take (bodyBytes) {
      const cost = bodyBytes + PER_WEBHOOK_BYTES
      // An empty budget takes any webhook: a limit below bodyLimitBytes must not refuse the largest ones forever.
      if (inFlightBytes > 0 && inFlightBytes + cost > limitBytes) return false
      inFlightBytes += cost
      return true
    },
    give (bodyBytes) {
      inFlightBytes -= bodyBytes + PER_WEBHOOK_BYTES
    }
  }
}
