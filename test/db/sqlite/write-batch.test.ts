// A batch is fsynced (synchronous=FULL) when anything in it must be durable
// before it is answered; a batch of relaxed ops only (the dispatcher's
// bookkeeping, rejections, retention) commits with NORMAL.
import Database from 'better-sqlite3'
import { test } from 'tap'
import { executeBatch, type WriteItem } from '../../../src/db/sqlite/write-batch.js'
import { relaxedOps, writeOps } from '../../../src/db/sqlite/write-ops.js'
import { migratedDb } from '../../helper.js'

test('each batch commits with FULL unless every op in it is relaxed', async (t) => {
  const db = migratedDb(t)
  const level = () => db.pragma('synchronous', { simple: true })
  const purge: WriteItem = { op: 'purgeRejections', args: { before: 0, limit: 10 } }
  const probe: WriteItem = { op: 'probeWrite', args: { now: 1 } }

  t.equal(level(), 2, 'opened FULL')
  t.same(executeBatch(db, [purge, purge]), [{ ok: true, value: 0 }, { ok: true, value: 0 }])
  t.equal(level(), 1, 'relaxed ops only: NORMAL')
  executeBatch(db, [purge, probe])
  t.equal(level(), 2, 'one durable op makes the whole batch FULL')
  executeBatch(db, [probe])
  t.equal(level(), 2)
})

test('recordEvent and the operator\'s ops are never relaxed', async (t) => {
  for (const op of ['recordEvent', 'probeWrite', 'replayEvent', 'retryDelivery', 'retryDeadDeliveries', 'setPaused']) {
    t.ok(op in writeOps && !relaxedOps.has(op), op)
  }
  t.ok([...relaxedOps].every((op) => op in writeOps), 'every relaxed op exists')
})

test('a storage fault fails the whole batch once, with no per-item busy wait', async (t) => {
  const db = migratedDb(t)
  db.pragma('busy_timeout = 0')
  // Another connection holds the write lock, as another process would.
  const holder = new Database(db.name)
  t.teardown(() => holder.close())
  holder.exec('BEGIN IMMEDIATE')
  // Counts the transactions the batch opens: each one would wait busy_timeout before failing.
  let transactions = 0
  const counted = new Proxy(db, {
    get (target, key) {
      const value: unknown = Reflect.get(target, key, target)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (key === 'transaction') transactions++
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    }
  })
  const probe: WriteItem = { op: 'probeWrite', args: { now: 1 } }
  const outcomes = executeBatch(counted, Array.from({ length: 8 }, () => probe))
  t.equal(outcomes.length, 8)
  t.ok(outcomes.every((o) => !o.ok && o.error.code === 'SQLITE_BUSY'), 'every item refused with the fault')
  // One busy wait, not nine (the batch, then each item alone).
  t.equal(transactions, 1, 'the batch tried once, no item alone')
  holder.exec('ROLLBACK')
  t.same(executeBatch(db, [probe]).map((o) => o.ok), [true], 'takes writes again once the lock is released')
})
