/**
 * The PostgreSQL adapter of the storage contract, for one gateway or several
 * on one database. Ingest and the dispatcher's settles go through group
 * commits (./group-commit.ts); every other write is one transaction on a
 * pooled connection, the dispatcher's bookkeeping committed without waiting
 * for the WAL flush (as the SQLite adapter's relaxed ops); reads run on the pool, several on one
 * snapshot where a page must agree with itself. A lost server or connection
 * fails writes with HG_ERR_WRITE_DATABASE_UNAVAILABLE (a 503), and the pool
 * opens fresh connections once the server answers again.
 */
import type { Clock } from '../../clock.js'
import type { Config } from '../../config/load.js'
import { HG_ERR_STORAGE_UNREACHABLE, HG_ERR_WRITER_CLOSED } from '../../errors.js'
import type {
  HeldCount, HeldFilter, HeldSubject, SkipArgs, SkipResult,
  BeatArgs, BulkRetryArgs, ClaimArgs, ClaimResult, DeliveryFilter, DeliveryListRow, DestinationFigures, EventDetail, EventFilter, EventOrigin, EventRow,
  HastenArgs, LeasedDelivery, Page, PauseState, ProbeArgs, PurgeArgs, PurgeEventsArgs, QueueDepth, ReclaimArgs, RecordArgs, RecordRejectionArgs,
  RecordResult, RejectionFilter, RejectionRow, ReleaseArgs, ReplayArgs, RetireArgs, RetryArgs, RetryResult, SetPausedArgs, SettleArgs, StaleLeasesArgs, Store, StoreEvents,
  StoreSignal, Traffic, TrafficArgs, UnclaimArgs, VacuumArgs, WriteOptions
} from '../../store/contract.js'
import { describeStorage } from '../../config/storage.js'
import { migrate } from './migrate.js'
import { coded, createPool, query, transaction, type Conn, type Pool, type TxOptions } from './pool.js'
import { countDeliveries, listDeliveries, retryDeadDeliveries, retryDelivery, retryPendingDeliveries } from './queries/deliveries.js'
import { destinationFigures, pauseStates, queueDepths, setPaused } from './queries/destinations.js'
import { eventOrigin, getEvent, listEvents, replayEvent } from './queries/events.js'
import { heldCounts, heldSubjects, skipDelivery } from './queries/subject-lines.js'
import { claimDeliveries, hastenDeliveries, reclaimLeases, releaseLeases, settleBatches, unclaimDeliveries } from './queries/leases.js'
import { probeWrite, recordBatch } from './queries/record.js'
import { listRejections, purgeRejections, recordRejection } from './queries/rejections.js'
import { purgeDedupKeys, purgeEvents } from './queries/retention.js'
import { beat, reclaimStaleLeases, retireOwner } from './queries/replicas.js'
import { GroupCommit } from './group-commit.js'
import { PgSignals } from './signals.js'
import { trafficBySource } from './traffic.js'

const relaxed: TxOptions = { relaxed: true }

export class PgStore implements Store {
  /** The pool, for the adapter's own tests (rows the contract has no read for). */
  readonly pool: Pool
  readonly #records: GroupCommit<RecordArgs, RecordResult>
  readonly #settles: GroupCommit<SettleArgs, number>
  readonly #signals: PgSignals
  /** Replicas share the database: a booting gateway leaves other owners' leases to reclaimStaleLeases. */
  readonly exclusive = false
  readonly #writing = new Set<Promise<unknown>>()
  #closing: Promise<void> | null = null

  constructor (pool: Pool, url: string) {
    this.pool = pool
    // One statement, committed on its own (synchronous_commit on): resolved once COMMIT has returned.
    this.#records = new GroupCommit(async (items) => {
      try {
        return await recordBatch(pool, items)
      } catch (err) {
        throw coded(err)
      }
    })
    // A transaction per settle cost seven round trips per delivery: more work for PostgreSQL than ingest itself.
    this.#settles = new GroupCommit((batches) => this.#write((c) => settleBatches(c, batches), relaxed))
    this.#signals = new PgSignals(pool, url)
  }

  #write<T> (fn: (conn: Conn) => Promise<T>, options?: TxOptions): Promise<T> {
    if (this.closed) return Promise.reject(new HG_ERR_WRITER_CLOSED())
    return this.#track(transaction(this.pool, fn, options))
  }

  #track<T> (write: Promise<T>): Promise<T> {
    this.#writing.add(write)
    const done = () => { this.#writing.delete(write) }
    write.then(done, done)
    return write
  }

  /**
   * Resolves once every write started before it has finished. SQLite's one
   * writer runs writes in the order called, so a caller there can wait for
   * earlier fire-and-forget writes by making one of its own; here writes run
   * side by side on the pool, and this is that wait.
   */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.#writing])
  }

  async #read<T> (fn: (pool: Pool) => Promise<T>): Promise<T> {
    try {
      return await fn(this.pool)
    } catch (err) {
      throw coded(err)
    }
  }

  recordEvent (args: RecordArgs, options?: WriteOptions): Promise<RecordResult> { return this.#track(this.#records.add(args, options)) }
  probeWrite (args: ProbeArgs): Promise<void> { return this.#write((c) => probeWrite(c, args)) }

  claimDeliveries (args: ClaimArgs): Promise<ClaimResult> { return this.#write((c) => claimDeliveries(c, args), relaxed) }
  settleDeliveries (args: SettleArgs): Promise<number> { return this.closed ? Promise.reject(new HG_ERR_WRITER_CLOSED()) : this.#track(this.#settles.add(args)) }
  unclaimDeliveries (args: UnclaimArgs): Promise<number> { return this.#write((c) => unclaimDeliveries(c, args), relaxed) }
  reclaimLeases (args: ReclaimArgs): Promise<number> { return this.#write((c) => reclaimLeases(c, args), relaxed) }
  releaseLeases (args: ReleaseArgs): Promise<number> { return this.#write((c) => releaseLeases(c, args), relaxed) }
  hastenDeliveries (args: HastenArgs): Promise<number> { return this.#write((c) => hastenDeliveries(c, args), relaxed) }

  beat (args: BeatArgs): Promise<void> { return this.#write((c) => beat(c, args), relaxed) }
  reclaimStaleLeases (args: StaleLeasesArgs): Promise<number> { return this.#write((c) => reclaimStaleLeases(c, args), relaxed) }
  retireOwner (args: RetireArgs): Promise<void> { return this.#write((c) => retireOwner(c, args), relaxed) }
  /** NOTIFY: every gateway on the database hears it once it commits (./signals.ts). */
  signal (signal: StoreSignal): Promise<void> { return this.closed ? Promise.resolve() : this.#signals.send(signal) }
  onSignal (listener: (signal: StoreSignal) => void): () => void { return this.#signals.subscribe(listener) }
  /** Resolves once the first onSignal's LISTEN connection is up: signals sent before it are not heard here. */
  listening (): Promise<void> { return this.#signals.listening() }

  replayEvent (args: ReplayArgs): Promise<LeasedDelivery[] | null> { return this.#write((c) => replayEvent(c, args)) }
  retryDelivery (args: RetryArgs): Promise<RetryResult> { return this.#write((c) => retryDelivery(c, args)) }
  skipDelivery (args: SkipArgs): Promise<SkipResult> { return this.#write((c) => skipDelivery(c, args)) }
  retryDeadDeliveries (args: BulkRetryArgs<Omit<DeliveryFilter, 'status'>>): Promise<number> { return this.#write((c) => retryDeadDeliveries(c, args)) }
  retryPendingDeliveries (args: BulkRetryArgs<Omit<DeliveryFilter, 'status' | 'waitingAt'>>): Promise<number> { return this.#write((c) => retryPendingDeliveries(c, args)) }
  setPaused (args: SetPausedArgs): Promise<PauseState> { return this.#write((c) => setPaused(c, args)) }
  recordRejection (args: RecordRejectionArgs): Promise<number | null> { return this.#write((c) => recordRejection(c, args), relaxed) }
  purgeEvents (args: PurgeEventsArgs): Promise<number> { return this.#write((c) => purgeEvents(c, args), relaxed) }
  purgeDedupKeys (args: PurgeArgs): Promise<number> { return this.#write((c) => purgeDedupKeys(c, args), relaxed) }
  purgeRejections (args: PurgeArgs): Promise<number> { return this.#write((c) => purgeRejections(c, args), relaxed) }
  /** PostgreSQL's autovacuum hands space back on its own: nothing to do here. */
  async incrementalVacuum (_args: VacuumArgs): Promise<number> { return 0 }

  listEvents (filter: EventFilter): Promise<Page<EventRow>> { return this.#read((p) => listEvents(p, filter)) }
  getEvent (id: string): Promise<EventDetail | null> { return transaction(this.pool, (c) => getEvent(c, id), { snapshot: true }) }
  eventOrigin (id: string): Promise<EventOrigin | null> { return this.#read((p) => eventOrigin(p, id)) }
  listDeliveries (filter: DeliveryFilter & { cursor?: number | undefined, limit: number }): Promise<Page<DeliveryListRow>> { return this.#read((p) => listDeliveries(p, filter)) }
  countDeliveries (filter: DeliveryFilter): Promise<number> { return this.#read((p) => countDeliveries(p, filter)) }
  queueDepths (): Promise<ReadonlyMap<string, QueueDepth>> { return this.#read((p) => queueDepths(p)) }
  pauseStates (): Promise<PauseState[]> { return this.#read((p) => pauseStates(p)) }
  destinationFigures (args: { names: readonly string[], deliveredSince: number }): Promise<DestinationFigures[]> { return this.#read((p) => destinationFigures(p, args)) }
  heldSubjects (filter: HeldFilter): Promise<Page<HeldSubject>> { return this.#read((p) => heldSubjects(p, filter)) }
  heldCounts (args: Pick<HeldFilter, 'ordering'>): Promise<ReadonlyMap<string, HeldCount>> { return this.#read((p) => heldCounts(p, args.ordering)) }
  listRejections (filter: RejectionFilter): Promise<Page<RejectionRow>> { return this.#read((p) => listRejections(p, filter)) }
  trafficBySource (args: TrafficArgs): Promise<Traffic> { return transaction(this.pool, (c) => trafficBySource(c, args), { snapshot: true }) }

  /** The server's WAL position: it moves with every commit, of this replica or any other. */
  async changeMark (): Promise<number> {
    const [row] = await this.#read((p) => query<{ mark: number }>(p, "SELECT pg_current_wal_lsn() - '0/0' AS mark"))
    return row?.mark ?? 0
  }

  get closed (): boolean { return this.#records.closed }

  close (): Promise<void> {
    // Queued webhooks commit first, then whatever else is being written, then the connections go.
    this.#closing ??= this.#records.close().then(() => this.settled()).then(() => this.#signals.close()).finally(() => this.pool.end())
    return this.#closing
  }
}

/**
 * Opens the store on config.storage.url: connects (HG_ERR_STORAGE_UNREACHABLE,
 * naming the server but never the user or password, when it cannot), and
 * migrates under an advisory lock, so replicas starting together migrate once.
 */
export async function openPgStore (storage: Pick<Config['storage'], 'url' | 'poolSize'>, clock: Clock, _events: StoreEvents = {}): Promise<PgStore> {
  const pool = createPool(storage.url ?? '', storage.poolSize)
  try {
    await reachable(pool, storage)
    await migrate(pool, undefined, clock.now())
    return new PgStore(pool, storage.url ?? '')
  } catch (err) {
    await pool.end()
    throw err
  }
}

export async function reachable (pool: Pool, storage: Pick<Config['storage'], 'url'>): Promise<void> {
  try {
    await pool.query('SELECT 1')
  } catch (err) {
    const { code, message } = err as { code?: string, message?: string }
    throw new HG_ERR_STORAGE_UNREACHABLE(describeStorage({ driver: 'postgres', path: '', url: storage.url }), `${code ?? 'error'}: ${message ?? String(err)}`, { cause: err })
  }
}
