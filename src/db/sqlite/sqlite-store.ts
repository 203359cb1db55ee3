/**
 * The SQLite adapter of the storage contract. Writes go through the writer
 * thread (./writer.ts): group commit, one fsync per batch, relaxedOps
 * committed without one (./write-ops.ts). Reads run on this thread's own
 * connection, beside the writer (WAL). Each method is one transaction: a
 * write is one op of a batch, a read one statement or a few on one snapshot.
 */
import type { Clock } from '../../clock.js'
import type { Config } from '../../config/load.js'
import type {
  BeatArgs, BulkRetryArgs, ClaimArgs, ClaimResult, DeliveryFilter, DeliveryListRow, DestinationFigures, EventDetail, EventFilter, EventOrigin, EventRow,
  HastenArgs, LeasedDelivery, Page, PauseState, ProbeArgs, PurgeArgs, PurgeEventsArgs, QueueDepth, ReclaimArgs, RecordArgs, RecordRejectionArgs,
  RecordResult, RejectionFilter, RejectionRow, ReleaseArgs, ReplayArgs, RetireArgs, RetryArgs, RetryResult, SetPausedArgs, SettleArgs, SkipArgs, SkipResult, StaleLeasesArgs, Store, StoreEvents,
  HeldCount, HeldFilter, HeldSubject,
  StoreSignal, Traffic, TrafficArgs, UnclaimArgs, VacuumArgs, WriteOptions
} from '../../store/contract.js'
import { lockInstance, type InstanceLock } from './instance-lock.js'
import { LocalSignals } from './local-signals.js'
import { migrate } from './migrate.js'
import { openDatabase, type Db } from './open.js'
import { countDeliveries, listDeliveries } from './queries/deliveries.js'
import { destinationFigures, pauseStates, queueDepths } from './queries/destinations.js'
import { eventOrigin, getEvent, listEvents } from './queries/events.js'
import { listRejections } from './queries/rejections.js'
import { heldCounts, heldSubjects } from './queries/subject-lines.js'
import { enableIncrementalVacuum } from './queries/retention.js'
import { dataVersion } from './queries/traffic.js'
import { createTrafficCache } from './traffic-cache.js'
import { Writer } from './writer.js'

export class SqliteStore implements Store {
  /** This thread's connection, for reads (and for the adapter's own tests). */
  readonly db: Db
  /** The only write connection's handle; tests of writer faults reach it here. */
  readonly writer: Writer
  readonly #lock: InstanceLock
  readonly #traffic: ReturnType<typeof createTrafficCache>
  readonly #signals = new LocalSignals()
  /** The instance lock admits one gateway per file: at boot, every lease is a dead process's. */
  readonly exclusive = true
  #closing: Promise<void> | null = null

  constructor (db: Db, writer: Writer, lock: InstanceLock) {
    this.db = db
    this.writer = writer
    this.#lock = lock
    this.#traffic = createTrafficCache(db)
  }

  recordEvent (args: RecordArgs, options?: WriteOptions): Promise<RecordResult> { return this.writer.run('recordEvent', args, options) }
  async probeWrite (args: ProbeArgs): Promise<void> { await this.writer.run('probeWrite', args) }

  claimDeliveries (args: ClaimArgs): Promise<ClaimResult> { return this.writer.run('claimDeliveries', args) }
  settleDeliveries (args: SettleArgs): Promise<number> { return this.writer.run('settleDeliveries', args) }
  unclaimDeliveries (args: UnclaimArgs): Promise<number> { return this.writer.run('unclaimDeliveries', args) }
  reclaimLeases (args: ReclaimArgs): Promise<number> { return this.writer.run('reclaimLeases', args) }
  releaseLeases (args: ReleaseArgs): Promise<number> { return this.writer.run('releaseLeases', args) }
  hastenDeliveries (args: HastenArgs): Promise<number> { return this.writer.run('hastenDeliveries', args) }

  async beat (args: BeatArgs): Promise<void> { await this.writer.run('beat', args) }
  reclaimStaleLeases (args: StaleLeasesArgs): Promise<number> { return this.writer.run('reclaimStaleLeases', args) }
  async retireOwner (args: RetireArgs): Promise<void> { await this.writer.run('retireOwner', args) }
  async signal (signal: StoreSignal): Promise<void> { this.#signals.send(signal) }
  onSignal (listener: (signal: StoreSignal) => void): () => void { return this.#signals.subscribe(listener) }

  replayEvent (args: ReplayArgs): Promise<LeasedDelivery[] | null> { return this.writer.run('replayEvent', args) }
  retryDelivery (args: RetryArgs): Promise<RetryResult> { return this.writer.run('retryDelivery', args) }
  skipDelivery (args: SkipArgs): Promise<SkipResult> { return this.writer.run('skipDelivery', args) }
  retryDeadDeliveries (args: BulkRetryArgs<Omit<DeliveryFilter, 'status'>>): Promise<number> { return this.writer.run('retryDeadDeliveries', args) }
  retryPendingDeliveries (args: BulkRetryArgs<Omit<DeliveryFilter, 'status' | 'waitingAt'>>): Promise<number> { return this.writer.run('retryPendingDeliveries', args) }
  setPaused (args: SetPausedArgs): Promise<PauseState> { return this.writer.run('setPaused', args) }
  recordRejection (args: RecordRejectionArgs): Promise<number | null> { return this.writer.run('recordRejection', args) }
  async purgeEvents (args: PurgeEventsArgs): Promise<number> {
    const purged = await this.writer.run('purgeEvents', args)
    // Retention shorter than a day deletes inside the overview's window: count those hours again.
    if (purged > 0) this.#traffic.clear()
    return purged
  }
  purgeDedupKeys (args: PurgeArgs): Promise<number> { return this.writer.run('purgeDedupKeys', args) }
  purgeRejections (args: PurgeArgs): Promise<number> { return this.writer.run('purgeRejections', args) }
  incrementalVacuum (args: VacuumArgs): Promise<number> { return this.writer.run('incrementalVacuum', args) }

  async listEvents (filter: EventFilter): Promise<Page<EventRow>> { return listEvents(this.db, filter) }
  async getEvent (id: string): Promise<EventDetail | null> { return getEvent(this.db, id) }
  async eventOrigin (id: string): Promise<EventOrigin | null> { return eventOrigin(this.db, id) }
  async listDeliveries (filter: DeliveryFilter & { cursor?: number | undefined, limit: number }): Promise<Page<DeliveryListRow>> { return listDeliveries(this.db, filter) }
  async countDeliveries (filter: DeliveryFilter): Promise<number> { return countDeliveries(this.db, filter) }
  async queueDepths (): Promise<ReadonlyMap<string, QueueDepth>> { return queueDepths(this.db) }
  async pauseStates (): Promise<PauseState[]> { return pauseStates(this.db) }
  async destinationFigures (args: { names: readonly string[], deliveredSince: number }): Promise<DestinationFigures[]> { return destinationFigures(this.db, args) }
  heldSubjects (filter: HeldFilter): Promise<Page<HeldSubject>> { return heldSubjects(this.db, filter) }
  heldCounts (args: Pick<HeldFilter, 'ordering'>): Promise<ReadonlyMap<string, HeldCount>> { return heldCounts(this.db, args.ordering) }
  async listRejections (filter: RejectionFilter): Promise<Page<RejectionRow>> { return listRejections(this.db, filter) }
  /** On one snapshot, so the figures of one page agree with each other. */
  async trafficBySource (args: TrafficArgs): Promise<Traffic> { return this.db.transaction(() => this.#traffic.read(args))() }

  /** SQLite's data_version: it moves on every commit of another connection (the writer thread's). */
  async changeMark (): Promise<number> { return dataVersion(this.db) }

  get closed (): boolean { return this.writer.closed }

  close (): Promise<void> {
    this.#closing ??= this.writer.close().finally(() => {
      this.db.close()
      this.#lock.release()
    })
    return this.#closing
  }
}

/**
 * Opens the store at config.storage.path: takes the instance lock first
 * (before anything reads or writes the file, so a second gateway leaves the
 * running one's rows alone), migrates, then starts the writer thread.
 */
export async function openSqliteStore (storage: Pick<Config['storage'], 'path'>, clock: Clock, events: StoreEvents = {}): Promise<SqliteStore> {
  const lock = lockInstance(storage.path, clock.now())
  let db: Db | undefined
  try {
    db = openDatabase(storage.path)
    migrate(db, undefined, clock.now())
    if (enableIncrementalVacuum(db)) events.onNotice?.('database rewritten once for incremental vacuum: retention now shrinks the file')
    const writer = await Writer.start(storage.path, { onRestart: events.onRestart, onFatal: events.onFatal })
    return new SqliteStore(db, writer, lock)
  } catch (err) {
    db?.close()
    lock.release()
    throw err
  }
}
