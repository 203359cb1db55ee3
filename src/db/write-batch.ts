import type { Db } from './open.js'
import { writeOps, type OpName } from './write-ops.js'

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
 * item retried alone, so one bad item cannot fail its neighbours, and a
 * storage fault (disk full, read-only) fails every item without storing any.
 */
export function executeBatch (db: Db, items: readonly WriteItem[]): WriteOutcome[] {
  try {
    return db.transaction(() => items.map((item): WriteOutcome => ({ ok: true, value: runOp(db, item) }))).immediate()
  } catch (err) {
    if (items.length === 1) return [failure(err)]
    return items.map((item): WriteOutcome => {
      try {
        return { ok: true, value: db.transaction(() => runOp(db, item)).immediate() }
      } catch (itemErr) {
        return failure(itemErr)
      }
    })
  }
}
