/**
 * Every operation the writer thread may run, by name. Each is a synchronous
 * function of (connection, structured-cloneable args) that only touches the
 * database: the writer runs a batch of them in one transaction, one fsync.
 * Add an op here to make it callable through Writer.run().
 */
import { probeWrite, recordEvent } from '../ingest/record.js'
import { claimDeliveries, reclaimLeases, releaseLeases, settleDeliveries } from '../outbox/deliveries.js'
import type { Db } from './open.js'
import { retryDeadDeliveries, retryDelivery } from './queries/deliveries.js'
import { setPaused } from './queries/destinations.js'
import { replayEvent } from './queries/events.js'
import { purgeRejections, recordRejection } from './queries/rejections.js'
import { incrementalVacuum, purgeEvents } from './queries/retention.js'

export const writeOps = {
  recordEvent,
  probeWrite,
  claimDeliveries,
  settleDeliveries,
  reclaimLeases,
  releaseLeases,
  // operations (admin API, rejections, retention)
  replayEvent,
  retryDelivery,
  retryDeadDeliveries,
  setPaused,
  recordRejection,
  purgeRejections,
  purgeEvents,
  incrementalVacuum
} as const satisfies Record<string, (db: Db, args: never) => unknown>

export type WriteOps = typeof writeOps
export type OpName = keyof WriteOps
export type OpArgs<K extends OpName> = Parameters<WriteOps[K]>[1]
export type OpResult<K extends OpName> = ReturnType<WriteOps[K]>
