/**
 * The storage contract: the one port between the features (ingest, outbox,
 * admin, metrics, health, retention) and whatever stores the events. The
 * SQLite adapter (src/db/sqlite/sqlite-store.ts) implements it and app.ts wires it
 * in; features import only this file. Nothing here names a database: another
 * adapter implements the same Store without touching a feature.
 *
 * Every method is asynchronous, and each runs in one transaction of its own
 * inside the adapter. Times are milliseconds on the gateway's clock, passed
 * in, never the database's. A write rejects when the store cannot take it
 * (disk full, read-only, locked, closed): callers answer 503, never 500.
 */
import type { DeliveryFilter, DeliveryListRow, DestinationFigures, EventDetail, EventFilter, EventOrigin, EventRow, HeldCount, HeldFilter, HeldSubject, Page, PauseState, QueueDepth, RejectionFilter, RejectionRow, Traffic, TrafficArgs } from './rows.js'
import type {
  BeatArgs, ClaimArgs, ClaimResult, HastenArgs, LeasedDelivery, ReclaimArgs, RecordArgs, RecordResult, ReleaseArgs, RetireArgs, SettleArgs, StaleLeasesArgs, StoreSignal, UnclaimArgs
} from './writes.js'
import type {
  BulkRetryArgs, ProbeArgs, PurgeArgs, PurgeEventsArgs, RecordRejectionArgs, ReplayArgs, RetryArgs, RetryResult, SetPausedArgs, SkipArgs, SkipResult, VacuumArgs
} from './operations.js'

export type * from './rows.js'
export type * from './writes.js'
export type * from './operations.js'

export interface WriteOptions {
  /**
   * Aborted once the caller has given up on the write (ingest answered 503 at
   * its deadline): a write not started by then is dropped (HG_ERR_WRITE_EXPIRED),
   * since storing it would store what the sender was told was not.
   */
  readonly signal?: AbortSignal
}

/** What the store tells the gateway about itself while it runs; the gateway logs it. */
export interface StoreEvents {
  /** Said once at open: a one-off action an operator should know of (a file rewritten). */
  readonly onNotice?: (message: string) => void
  /** The store's writer failed and another took over; the writes it held were refused (their senders retry). */
  readonly onRestart?: (err: Error, restarts: number) => void
  /** The writer failed once too often: nothing is stored any more; exit so a supervisor starts afresh. */
  readonly onFatal?: (err: Error) => void
}

export interface Store {
  /* Ingest: resolves once durable. That resolution is what a 2xx answer rests on. */

  /**
   * Stores a verified event and one delivery per destination, atomically. A
   * second event with the same source and dedup key (a provider's retry, a
   * racing duplicate, a replay within storage.dedupWindowDays of a purged one)
   * stores nothing and answers the first one's id. Deliveries under
   * `args.lease` are stored already leased (see DeliveryLease).
   */
  recordEvent (args: RecordArgs, options?: WriteOptions): Promise<RecordResult>
  /** A real durable write: the readiness probe, so "ready" means a commit can succeed. */
  probeWrite (args: ProbeArgs): Promise<void>

  /* Outbox: the dispatcher's bookkeeping. A crash may lose the last of these (a delivery is then sent again: at least once); none is acknowledged to anyone. */

  /** Leases due deliveries of the destinations with free slots (none of a paused one), counting each attempt in the same write. */
  claimDeliveries (args: ClaimArgs): Promise<ClaimResult>
  /** Records attempts and moves their deliveries on, freeing the lease; a settlement of a superseded attempt only leaves its attempt row. Resolves to the deliveries moved. */
  settleDeliveries (args: SettleArgs): Promise<number>
  /** Gives back deliveries leased but never started, their claimed attempt taken back. */
  unclaimDeliveries (args: UnclaimArgs): Promise<number>
  /** Frees leases older than args.olderThanMs (only args.owner's when given), recording the interrupted attempt as of unknown outcome. */
  reclaimLeases (args: ReclaimArgs): Promise<number>
  /** Frees every lease of args.owner (a graceful stop). */
  releaseLeases (args: ReleaseArgs): Promise<number>
  /** Makes up to args.limit of a destination's deliveries that wait for a later retry due now, the longest waiting first. */
  hastenDeliveries (args: HastenArgs): Promise<number>

  /*
   * Replicas: several gateways may share one store (see `exclusive`). Each
   * dispatcher is a lease owner that beats every few seconds; a live owner's
   * leases are never taken, however old, and the leases of an owner silent
   * for a takeover window are freed by any live one.
   */

  /**
   * True when the store admits one gateway at a time (SQLite's instance
   * lock): at boot every lease is then a dead process's, freed at once
   * (reclaimLeases with 0). False when replicas share it: a booting gateway
   * leaves other owners' leases to reclaimStaleLeases.
   */
  readonly exclusive: boolean
  /** Records that args.owner is alive at args.now (its first beat registers it; a beat never moves its time back). */
  beat (args: BeatArgs): Promise<void>
  /**
   * Frees every lease whose owner last beat at or before now − staleAfterMs
   * (an owner that never beat, or was forgotten, counts from the lease's own
   * start), recording the interrupted attempt as of unknown outcome as
   * reclaimLeases does, and forgets those owners. Resolves to the leases freed.
   */
  reclaimStaleLeases (args: StaleLeasesArgs): Promise<number>
  /** Forgets args.owner: a graceful stop, after releaseLeases. */
  retireOwner (args: RetireArgs): Promise<void>
  /**
   * Tells every gateway on this store (this one included) something it
   * should act on without waiting for a poll. Best effort: a signal may be
   * lost (a dropped connection), so receivers keep polling as a backstop.
   * Never delivered synchronously inside the call.
   */
  signal (signal: StoreSignal): Promise<void>
  /**
   * Calls `listener` with every signal sent on this store while it listens;
   * returns what unsubscribes it. An adapter may begin to listen only with
   * the first subscription (a connection of its own): what is sent before
   * it listens is lost, as any signal may be.
   */
  onSignal (listener: (signal: StoreSignal) => void): () => void

  /* Operations: the admin API's writes (durable), rejections and retention (bookkeeping). */

  /** A new pending delivery per destination, due now; null when the event is gone. */
  replayEvent (args: ReplayArgs): Promise<LeasedDelivery[] | null>
  /** One delivery due now: a dead one with a fresh schedule, a waiting one as it is; refused when delivered or in flight. */
  retryDelivery (args: RetryArgs): Promise<RetryResult>
  /** Takes a delivery out of its subject's line so the next may go: a dead head as it is, a waiting one made dead; refused when delivered, in flight, or in no line. */
  skipDelivery (args: SkipArgs): Promise<SkipResult>
  /** Up to args.limit dead deliveries matching the filter, each with a fresh schedule. */
  retryDeadDeliveries (args: BulkRetryArgs<Omit<DeliveryFilter, 'status'>>): Promise<number>
  /** Up to args.limit pending deliveries that wait for a later retry, due now, keeping their attempts. */
  retryPendingDeliveries (args: BulkRetryArgs<Omit<DeliveryFilter, 'status' | 'waitingAt'>>): Promise<number>
  /** Pauses or resumes a destination (across restarts): its deliveries are not claimed while paused. */
  setPaused (args: SetPausedArgs): Promise<PauseState>
  /** Keeps one refused request, trimming the oldest beyond the caps; null when none are kept. */
  recordRejection (args: RecordRejectionArgs): Promise<number | null>
  /** Up to args.limit settled events received before args.before, with their deliveries and attempts; their dedup keys stay. */
  purgeEvents (args: PurgeEventsArgs): Promise<number>
  /** Up to args.limit dedup keys first seen before args.before. */
  purgeDedupKeys (args: PurgeArgs): Promise<number>
  /** Up to args.limit rejections received before args.before. */
  purgeRejections (args: PurgeArgs): Promise<number>
  /** Hands free space back to the file system, at most args.pages pages; resolves to the pages freed (0 where the store has none to give). */
  incrementalVacuum (args: VacuumArgs): Promise<number>

  /* Reads: what admin, metrics and the gateway's start read. */

  listEvents (filter: EventFilter): Promise<Page<EventRow>>
  /** The event with its headers and bytes, every delivery, and every attempt of each (oldest first). */
  getEvent (id: string): Promise<EventDetail | null>
  /** The source and type a replay routes by, without reading the body. */
  eventOrigin (id: string): Promise<EventOrigin | null>
  /** Newest first; the cursor is the last id of the previous page. */
  listDeliveries (filter: DeliveryFilter & { readonly cursor?: number | undefined, readonly limit: number }): Promise<Page<DeliveryListRow>>
  countDeliveries (filter: DeliveryFilter): Promise<number>
  /** Pending and dead counts and the oldest pending time, per destination that has any. */
  queueDepths (): Promise<ReadonlyMap<string, QueueDepth>>
  /** Every destination ever paused or resumed. */
  pauseStates (): Promise<PauseState[]>
  /** Figures for each name given and each destination that still has deliveries queued. */
  destinationFigures (args: { readonly names: readonly string[], readonly deliveredSince: number }): Promise<DestinationFigures[]>
  /** Subjects held up at ordered destinations (see HeldSubject), oldest head first. */
  heldSubjects (filter: HeldFilter): Promise<Page<HeldSubject>>
  /** Held subjects and their waiting deliveries per destination (the metrics gauge). */
  heldCounts (args: Pick<HeldFilter, 'ordering'>): Promise<ReadonlyMap<string, HeldCount>>
  /** Newest first. */
  listRejections (filter: RejectionFilter): Promise<Page<RejectionRow>>
  /** Events stored and rejections kept per source and clock hour, and in the last 60 minutes. */
  trafficBySource (args: TrafficArgs): Promise<Traffic>
  /** A number that moves whenever anything was stored; cheap enough to read a few times a second (the console's live feed does). */
  changeMark (): Promise<number>

  /** True once the store takes no more writes: closed, or its writer gave up. */
  readonly closed: boolean
  /** Waits for queued writes to commit, then lets go of the storage (and its lock). Safe to call twice. */
  close (): Promise<void>
}
