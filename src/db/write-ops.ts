/**
 * Every operation the writer thread may run, by name. Each is a synchronous
 * function of (connection, structured-cloneable args) that only touches the
 * database: the writer runs a batch of them in one transaction, one fsync.
 * Add an op here to make it callable through Writer.run().
 */
import { probeWrite, recordEvent } from '../ingest/record.js'
import { claimDeliveries, reclaimLeases, releaseLeases, settleDeliveries } from '../outbox/deliveries.js'
import type { Db } from './open.js'

export const writeOps = {
  recordEvent,
  probeWrite,
  claimDeliveries,
  settleDeliveries,
  reclaimLeases,
  releaseLeases
} as const satisfies Record<string, (db: Db, args: never) => unknown>

export type WriteOps = typeof writeOps
export type OpName = keyof WriteOps
export type OpArgs<K extends OpName> = Parameters<WriteOps[K]>[1]
export type OpResult<K extends OpName> = ReturnType<WriteOps[K]>
