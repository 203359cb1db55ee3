/**
 * The operations half of the storage contract's writes: what the admin API,
 * rejections and retention pass to the Store (./contract.ts) and get back.
 * Features import these through src/store/contract.ts.
 */
import type { DeliveryRow, NewRejection } from './rows.js'

export interface ProbeArgs {
  readonly now: number
}

export interface ReplayArgs {
  readonly eventId: string
  readonly destinations: readonly string[]
  readonly now: number
}

export interface RetryArgs {
  readonly id: number
  readonly now: number
}

export interface SkipArgs {
  readonly id: number
  readonly now: number
}

/**
 * skipped: the delivery left its subject's line (dead, if it was waiting),
 * so the next of its subject may go; not_ordered: it is in no line.
 */
export type SkipResult =
  | { readonly outcome: 'skipped', readonly delivery: DeliveryRow }
  | { readonly outcome: 'missing' }
  | { readonly outcome: 'delivered' }
  | { readonly outcome: 'in_flight' }
  | { readonly outcome: 'not_ordered' }

export type RetryResult =
  | { readonly outcome: 'retried', readonly delivery: DeliveryRow }
  | { readonly outcome: 'missing' }
  | { readonly outcome: 'delivered' }
  | { readonly outcome: 'in_flight' }

export interface BulkRetryArgs<F> {
  readonly filter: F
  readonly now: number
  /** At most this many per call: the caller repeats until fewer come back. */
  readonly limit: number
}

export interface SetPausedArgs {
  readonly name: string
  readonly paused: boolean
  readonly now: number
}

export interface RecordRejectionArgs {
  readonly rejection: NewRejection
  /** The oldest rows go beyond this many rows or bytes. */
  readonly maxRows: number
  readonly maxBytes: number
}

export interface PurgeEventsArgs {
  /** Settled events received before this go. */
  readonly before: number
  readonly limit: number
  /** A deleted event received at or after this leaves its dedup key behind. */
  readonly keepKeysAfter: number
}

export interface PurgeArgs {
  readonly before: number
  readonly limit: number
}

export interface VacuumArgs {
  /** Free pages handed back at most. */
  readonly pages: number
}
