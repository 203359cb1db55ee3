/**
 * The write half of the storage contract, ingest's and the outbox's: what
 * each of those Store (./contract.ts) writes takes and gives back; the
 * operations' are in ./operations.ts. Features import these through
 * src/store/contract.ts.
 */

/** An event as stored, and as it leaves the gateway (destinations send this). */
export interface StoredEvent {
  /** Gateway event id: the CloudEvents `id` and `webhook-id`, stable across retries. */
  readonly id: string
  readonly source: string
  readonly provider: string
  readonly dedupKey: string
  /** Provider event type, verbatim. */
  readonly type: string
  readonly subject: string | null
  /** ISO time the provider gives, when it gives one. */
  readonly occurredAt: string | null
  readonly receivedAt: number
  /** The provider's exact body bytes (valid JSON: providers refuse anything else). */
  readonly body: Uint8Array
}

/* Ingest */

/** An event as ingest stores it: what will leave the gateway, plus the headers kept to verify it again. */
export interface NewEvent extends StoredEvent {
  /** JSON of the provider headers needed to verify the event again. */
  readonly headers: string
}

/**
 * Places the dispatcher holds for a new event's deliveries: the store inserts
 * those deliveries already leased to `owner` (at `at`, first attempt counted),
 * as a claim would leave them, so they leave as soon as the write commits.
 */
export interface DeliveryLease {
  readonly owner: string
  readonly at: number
  /** The destinations with a place reserved (a subset of RecordArgs.destinations). */
  readonly destinations: readonly string[]
}

export interface RecordArgs {
  readonly event: NewEvent
  /** Destinations that must receive it, as routed at ingest time. */
  readonly destinations: readonly string[]
  /**
   * Insert these deliveries leased rather than pending. A destination that is
   * paused, or has older deliveries due and unclaimed (they go first), gets a
   * pending delivery instead, left out of RecordResult.leased.
   */
  readonly lease?: DeliveryLease | null
  /**
   * Destinations that order deliveries by subject: where the event has one,
   * its delivery there joins the subject's line (see ClaimArgs.ordering). An
   * exclusive store may insert it leased when it is the head of its line
   * (nothing of the line pending or dead); a shared one never does, since
   * only a claim under the line's lock can tell there.
   */
  readonly ordered?: readonly string[]
}

/** A delivery inserted under RecordArgs.lease, or queued by a replay. */
export interface LeasedDelivery {
  readonly id: number
  readonly destination: string
}

export interface RecordResult {
  /** The event's id: the new one, or the first one's when this is a duplicate. */
  readonly id: string
  /** Same source and dedup key as an event already stored (or purged, within storage.dedupWindowDays). */
  readonly duplicate: boolean
  /** The deliveries inserted under the lease; empty for a duplicate. */
  readonly leased: readonly LeasedDelivery[]
}

/* Outbox */

export interface ClaimArgs {
  readonly now: number
  /** This process's lease name. */
  readonly owner: string
  /** Free slots per destination, in the order to serve them (the dispatcher rotates it). */
  readonly slots: Readonly<Record<string, number>>
  /** Free slots in all: the global concurrency left. */
  readonly limit: number
  /**
   * Destinations that order by subject, and whether a dead head blocks its
   * subject: a delivery of a subject is claimed only at the head of its
   * line, so one subject has at most one delivery in flight per destination,
   * on every gateway sharing the store. Absent ones claim in run_at order.
   */
  readonly ordering?: Readonly<Record<string, OnDead>>
}

/** What a dead head does to its subject's line: skip (the next goes) or block (held until retried or skipped). */
export type OnDead = 'skip' | 'block'

/** A delivery leased to this process, with its event. */
export interface ClaimedDelivery {
  readonly id: number
  readonly destination: string
  /** This attempt's number, 1-based: counted at claim, so a crash mid-attempt still counts it. */
  readonly attempt: number
  readonly event: StoredEvent
}

export interface ClaimResult {
  readonly claimed: ClaimedDelivery[]
  /** Earliest run_at among destinations that had room to spare, or null: when to look again. */
  readonly nextDueAt: number | null
}

/** How one attempt ended, as recorded: an attempt row, and the delivery moved on. */
export interface Settlement {
  readonly id: number
  readonly attempt: number
  readonly startedAt: number
  readonly durationMs: number
  /** delivered: done; retry: due again at runAt; dead: no more attempts. */
  readonly result: 'delivered' | 'retry' | 'dead'
  readonly runAt?: number
  readonly statusCode: number | null
  readonly error: string | null
  readonly response: string | null
}

export interface SettleArgs {
  readonly now: number
  readonly settlements: readonly Settlement[]
}

export interface ReclaimArgs {
  readonly now: number
  /** Leases at least this old are freed: 0 frees all (at boot, on an exclusive store). */
  readonly olderThanMs: number
  /** Only this owner's leases (the dispatcher's own expiry sweep); every owner's when absent. */
  readonly owner?: string
  /** Why, as the interrupted attempt's row tells it. */
  readonly why: string
}

export interface UnclaimArgs {
  readonly now: number
  readonly owner: string
  readonly ids: readonly number[]
}

export interface ReleaseArgs {
  readonly now: number
  readonly owner: string
}

/* Replicas */

export interface BeatArgs {
  readonly owner: string
  readonly now: number
}

export interface StaleLeasesArgs {
  readonly now: number
  /** An owner whose last beat is at least this old is taken for dead. */
  readonly staleAfterMs: number
  /** Why, as the interrupted attempt's row tells it. */
  readonly why: string
}

export interface RetireArgs {
  readonly owner: string
}

/**
 * What one gateway tells the others on its store. `due`: deliveries were
 * made due now (a replay, a retry, leases a stopping gateway gave back):
 * claim for them. `paused`: a destination was paused or resumed: read the
 * pause states again (the signal says which changed, not how).
 */
export interface StoreSignal {
  readonly kind: 'due' | 'paused'
  /** The destination concerned; null for any. */
  readonly destination: string | null
}

export interface HastenArgs {
  readonly now: number
  readonly destination: string
  readonly limit: number
}
