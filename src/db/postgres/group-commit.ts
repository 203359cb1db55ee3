import { HG_ERR_WRITE_EXPIRED, HG_ERR_WRITER_CLOSED } from '../../errors.js'
import type { WriteOptions } from '../../store/contract.js'
import { isStorageFault } from './pool.js'

interface Pending<A, R> { item: A, resolve: (r: R) => void, reject: (e: unknown) => void, signal?: AbortSignal | undefined }

/** The most items one transaction carries: bounds the time its locks are held. */
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
 * Group commit, as the SQLite writer does it: items that arrive while a
 * batch commits wait together and go in the next transaction, so many share
 * one commit and one statement (ingest's webhooks: queries/record.ts
 * recordBatch; the dispatcher's settles: queries/leases.ts settleBatches).
 * Each caller hears back only after COMMIT returned, with its own result.
 * If the batch fails for a reason of its own (not the database being down),
 * each item is tried again alone, so one bad item cannot fail its neighbours.
 */
export class GroupCommit<A, R> {
  #queue: Array<Pending<A, R>> = []
  #inFlight = 0
  #scheduled = false
  #closed = false
  #idle: Array<() => void> = []

  /** `commit` writes the items in one transaction and resolves to their results, in order. */
  constructor (private readonly commit: (items: readonly A[]) => Promise<R[]>) {}

  get closed (): boolean { return this.#closed }

  add (item: A, options: WriteOptions = {}): Promise<R> {
    if (this.#closed) return Promise.reject(new HG_ERR_WRITER_CLOSED())
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject, signal: options.signal })
      this.#schedule()
    })
  }

  /** Refuses new items, and resolves once those already queued have committed (or failed). */
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
      const batch: Array<Pending<A, R>> = []
      while (batch.length < MAX_BATCH && this.#queue.length > 0) {
        const pending = this.#queue.shift()!
        // Given up on: its sender was already answered 503, so storing it now would store what it was told was not.
        if (pending.signal?.aborted === true) pending.reject(new HG_ERR_WRITE_EXPIRED())
        else batch.push(pending)
      }
      if (batch.length === 0) continue
      this.#inFlight++
      void this.#commitBatch(batch).finally(() => {
        this.#inFlight--
        if (this.#queue.length > 0) this.#flush()
        else if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
      })
    }
    if (this.#queue.length === 0 && this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  async #commitBatch (batch: Array<Pending<A, R>>): Promise<void> {
    try {
      const results = await this.commit(batch.map((p) => p.item))
      batch.forEach((pending, i) => pending.resolve(results[i]!))
    } catch (err) {
      if (batch.length === 1 || isStorageFault(err)) {
        for (const pending of batch) pending.reject(err)
        return
      }
      for (const pending of batch) {
        try {
          const [result] = await this.commit([pending.item])
          pending.resolve(result!)
        } catch (itemErr) {
          pending.reject(itemErr)
        }
      }
    }
  }
}
