import { HG_ERR_WRITE_EXPIRED, HG_ERR_WRITER_CLOSED } from '../../errors.js'
import type { RecordArgs, RecordResult, WriteOptions } from '../../store/contract.js'
import { isStorageFault, transaction, type Pool } from './pool.js'
import { recordBatch } from './queries/record.js'

interface Pending { args: RecordArgs, resolve: (r: RecordResult) => void, reject: (e: unknown) => void, signal?: AbortSignal | undefined }

/** The most webhooks one transaction carries: bounds the time its locks are held. */
const MAX_BATCH = 512
/**
 * Batches committing at once. One, as SQLite's writer: a webhook that waited
 * past its deadline in the queue is dropped unsent (its sender was answered
 * 503), and only the one batch already sent may still land after its
 * callers gave up. Batches grow under load, so one at a time still shares
 * each WAL flush among many (bench/pg-clients.ts: about 17,000 a second).
 */
const MAX_IN_FLIGHT = 1

/**
 * Group commit for ingest, as the SQLite writer does it: webhooks that arrive
 * while a batch commits wait together and go in the next transaction, so many
 * share one WAL flush. Each caller hears back only after COMMIT returned. If
 * the batch fails for a reason of its own (not the database being down), each
 * webhook is tried again alone, so one bad item cannot fail its neighbours.
 */
export class RecordBatcher {
  #queue: Pending[] = []
  #inFlight = 0
  #scheduled = false
  #closed = false
  #idle: Array<() => void> = []

  constructor (private readonly pool: Pool) {}

  get closed (): boolean { return this.#closed }

  record (args: RecordArgs, options: WriteOptions = {}): Promise<RecordResult> {
    if (this.#closed) return Promise.reject(new HG_ERR_WRITER_CLOSED())
    return new Promise((resolve, reject) => {
      this.#queue.push({ args, resolve, reject, signal: options.signal })
      this.#schedule()
    })
  }

  /** Refuses new webhooks, and resolves once those already queued have committed (or failed). */
  async close (): Promise<void> {
    this.#closed = true
    if (this.#queue.length === 0 && this.#inFlight === 0) return
    await new Promise<void>((resolve) => this.#idle.push(resolve))
  }

  #schedule (): void {
    if (this.#scheduled || this.#inFlight >= MAX_IN_FLIGHT) return
    this.#scheduled = true
    // setImmediate, not a microtask: requests parsed in the same I/O phase join the batch.
    setImmediate(() => {
      this.#scheduled = false
      this.#flush()
    })
  }

  #flush (): void {
    while (this.#inFlight < MAX_IN_FLIGHT && this.#queue.length > 0) {
      const batch: Pending[] = []
      while (batch.length < MAX_BATCH && this.#queue.length > 0) {
        const pending = this.#queue.shift()!
        // Given up on: its sender was already answered 503, so storing it now would store what it was told was not.
        if (pending.signal?.aborted === true) pending.reject(new HG_ERR_WRITE_EXPIRED())
        else batch.push(pending)
      }
      if (batch.length === 0) continue
      this.#inFlight++
      void this.#commit(batch).finally(() => {
        this.#inFlight--
        if (this.#queue.length > 0) this.#flush()
        else if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
      })
    }
    if (this.#queue.length === 0 && this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  async #commit (batch: Pending[]): Promise<void> {
    try {
      const results = await transaction(this.pool, (conn) => recordBatch(conn, batch.map((p) => p.args)))
      batch.forEach((pending, i) => pending.resolve(results[i]!))
    } catch (err) {
      if (batch.length === 1 || isStorageFault(err)) {
        for (const pending of batch) pending.reject(err)
        return
      }
      for (const pending of batch) {
        try {
          const [result] = await transaction(this.pool, (conn) => recordBatch(conn, [pending.args]))
          pending.resolve(result!)
        } catch (itemErr) {
          pending.reject(itemErr)
        }
      }
    }
  }
}
