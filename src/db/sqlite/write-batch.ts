import { isStorageFault, type Db } from './open.js'
import { relaxedOps, writeOps, type OpName } from './write-ops.js'

export interface WriteItem {
  readonly op: OpName
  readonly args: unknown
}

export type WriteOutcome =
  | { readonly ok: true, readonly value: unknown }
  | { readonly ok: false, readonly error: { readonly message: string, readonly code?: string | undefined } }

function runOp (db: Db, item: WriteItem): unknown {
  const fn = writeOps[item.op] as (db: Db, args: unknown) => unknown
  if (typeof fn !== 'function') throw new Error(`unknown write op '${String(item.op)}'`)
  return fn(db, item.args)
}

function failure (err: unknown): WriteOutcome {
  const e = err as { message?: string, code?: string }
  return { ok: false, error: { message: String(e?.message ?? err), code: e?.code } }
}

/**
 * Group commit: the whole batch is one IMMEDIATE transaction, so many webhooks
 * share one fsync. If anything in it throws, the batch is rolled back and each
 * item retried alone, so one bad item cannot fail its neighbours. A storage
 * fault (locked, disk full, read-only, I/O error) fails the whole batch at
 * once: retrying each item would wait busy_timeout once per item (a 512-item
 * batch behind a held lock: 43 minutes) to fail the same way.
 */
export function executeBatch (db: Db, items: readonly WriteItem[]): WriteOutcome[] {
  try {
    syncFor(db, items)
    return db.transaction(() => items.map((item): WriteOutcome => ({ ok: true, value: runOp(db, item) }))).immediate()
  } catch (err) {
    if (items.length === 1 || isStorageFault(err)) return items.map(() => failure(err))
    return items.map((item): WriteOutcome => {
      try {
        syncFor(db, [item])
        return { ok: true, value: db.transaction(() => runOp(db, item)).immediate() }
      } catch (itemErr) {
        return failure(itemErr)
      }
    })
  }
}

const FULL = 2
const NORMAL = 1
const syncLevels = new WeakMap<Db, number>()

/**
 * FULL (fsync at commit) when any item must be durable before it is answered,
 * NORMAL when all are relaxedOps: under delivery load most commits are the
 * dispatcher's claims and settles, and each fsync they skip is one an
 * acknowledgement does not queue behind.
 */
function syncFor (db: Db, items: readonly WriteItem[]): void {
  const level = items.every((item) => relaxedOps.has(item.op)) ? NORMAL : FULL
  if (syncLevels.get(db) === level) return
  db.pragma(`synchronous = ${level}`)
  syncLevels.set(db, level)
}
