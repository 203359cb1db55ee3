// A batch is fsynced (synchronous=FULL) when anything in it must be durable
// before it is answered; a batch of relaxed ops only (the dispatcher's
// bookkeeping, rejections, retention) commits with NORMAL.
import { test } from 'tap'
import { executeBatch, type WriteItem } from '../../src/db/write-batch.js'
import { relaxedOps, writeOps } from '../../src/db/write-ops.js'
import { migratedDb } from '../helper.js'

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
