import type { SettleArgs } from '../../store/contract.js'
import { isStorageFault } from './pool.js'
import { movedKey } from './queries/leases.js'

interface Pending { args: SettleArgs, resolve: (moved: number) => void, reject: (err: unknown) => void }

/** The most settles one transaction carries. */
const MAX_BATCH = 512

/**
 * Settles share transactions, as they do in SQLite's writer: those that come
 * in while one commits go together in the next, one statement for all of
 * them (queries/leases.ts settleBatches). A transaction per settle cost
 * seven round trips per delivery (BEGIN, SET LOCAL, two statements for the
 * settlement, two for its event, COMMIT), more work for PostgreSQL than
 * ingest itself. If a batch fails for a reason
 * of its own (not the database being down), each settle is tried alone, so
 * one bad settlement cannot fail its neighbours.
 */
export class SettleBatcher {
  #queue: Pending[] = []
  #busy = false
  #scheduled = false

  /** `run` settles the batches given in one transaction, resolving to the settlements that moved their delivery. */
  constructor (private readonly run: (batches: readonly SettleArgs[]) => Promise<Set<string>>) {}

  /** Resolves to the deliveries this settle moved, once its transaction committed. */
  settle (args: SettleArgs): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ args, resolve, reject })
      this.#schedule()
    })
  }

  #schedule (): void {
    if (this.#scheduled || this.#busy) return
    this.#scheduled = true
    // setImmediate, not a microtask: attempts answered in the same I/O phase join the batch.
    setImmediate(() => {
      this.#scheduled = false
      void this.#flush()
    })
  }

  async #flush (): Promise<void> {
    const batch = this.#queue.splice(0, MAX_BATCH)
    if (batch.length === 0) return
    this.#busy = true
    try {
      const moved = await this.run(batch.map((p) => p.args))
      for (const p of batch) p.resolve(movedOf(p.args, moved))
    } catch (err) {
      if (batch.length === 1 || isStorageFault(err)) {
        for (const p of batch) p.reject(err)
      } else {
        for (const p of batch) {
          try {
            p.resolve(movedOf(p.args, await this.run([p.args])))
          } catch (itemErr) {
            p.reject(itemErr)
          }
        }
      }
    } finally {
      this.#busy = false
      if (this.#queue.length > 0) this.#schedule()
    }
  }
}

function movedOf (args: SettleArgs, moved: ReadonlySet<string>): number {
  return args.settlements.filter((s) => moved.has(movedKey(s.id, s.attempt))).length
}
