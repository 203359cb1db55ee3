/**
 * The contract between the outbox and a destination (HTTP today, queues
 * later). A destination knows its transport, never SQLite.
 */

/** What leaves the gateway: the stored event, as the outbox read it back. */
export type { StoredEvent as OutgoingEvent } from '../store/contract.js'

/** What an answer (or its absence) tells the outbox to do. Shared by every outcome. */
interface Answer {
  /** HTTP status, when an answer came. */
  readonly status?: number
  /** The first 1 KiB of the answer's body, as text, kept on the attempt row. */
  readonly response?: string
}

/**
 * How an attempt ended. Expected failures (the receiver's answer, the network,
 * a timeout) are returned, never thrown: only a bug throws.
 * - ok: a 2xx; the delivery is done.
 * - retry: 408, 429, 5xx, 3xx, network errors, timeouts; try again later, no
 *   sooner than `retryAfterMs` when the receiver said so.
 * - no retry: any other 4xx (410 Gone included); the delivery is dead.
 */
export type Outcome =
  | Answer & { readonly ok: true, readonly status: number }
  | Answer & { readonly ok: false, readonly retry: true, readonly reason: string, readonly retryAfterMs?: number }
  | Answer & { readonly ok: false, readonly retry: false, readonly reason: string }
