/**
 * Every operation the writer thread may run, by name. Each is a synchronous
 * function of (connection, structured-cloneable args) that only touches the
 * database: the writer runs a batch of them in one transaction, one fsync.
 * Add an op here to make it callable through Writer.run(), and give it a
 * typed method on the Store (src/store/contract.ts, ./sqlite-store.ts).
 */
import type { Db } from './open.js'
import { retryDeadDeliveries, retryDelivery, retryPendingDeliveries } from './queries/deliveries.js'
import { setPaused } from './queries/destinations.js'
import { skipDelivery } from './queries/subject-lines.js'
import { replayEvent } from './queries/events.js'
import { claimDeliveries, hastenDeliveries, reclaimLeases, releaseLeases, settleDeliveries, unclaimDeliveries } from './queries/leases.js'
import { probeWrite, recordEvent } from './queries/record.js'
import { purgeRejections, recordRejection } from './queries/rejections.js'
import { beat, reclaimStaleLeases, retireOwner } from './queries/replicas.js'
import { incrementalVacuum, purgeDedupKeys, purgeEvents } from './queries/retention.js'

export const writeOps = {
  recordEvent,
  probeWrite,
  claimDeliveries,
  settleDeliveries,
  unclaimDeliveries,
  reclaimLeases,
  releaseLeases,
  hastenDeliveries,
  beat,
  reclaimStaleLeases,
  retireOwner,
  // operations (admin API, rejections, retention)
  replayEvent,
  retryDelivery,
  skipDelivery,
  retryDeadDeliveries,
  retryPendingDeliveries,
  setPaused,
  recordRejection,
  purgeRejections,
  purgeEvents,
  purgeDedupKeys,
  incrementalVacuum
} as const satisfies Record<string, (db: Db, args: never) => unknown>

/**
 * Ops whose commit need not reach the disk before their caller goes on: the
 * dispatcher's bookkeeping, refused-request records and retention. A power
 * cut that loses one only repeats work (a delivery is sent again: delivery is
 * at least once; a lease is reclaimed at boot anyway) or forgets a rejection;
 * nobody was promised it. A batch made only of these commits without an
 * fsync, and the next durable commit's fsync of the WAL covers it too. Every
 * other op, recordEvent first, is fsynced before its caller hears back.
 */
export const relaxedOps: ReadonlySet<string> = new Set<OpName>([
  'claimDeliveries', 'settleDeliveries', 'unclaimDeliveries', 'reclaimLeases', 'releaseLeases', 'hastenDeliveries', 'beat', 'reclaimStaleLeases', 'retireOwner',
  'recordRejection', 'purgeRejections', 'purgeEvents', 'purgeDedupKeys', 'incrementalVacuum'
])

/**
 * Relaxed ops nobody waits on to go on (a settle: the receiver's slot was
 * freed when it answered). Alone in the queue they wait up to the writer's
 * defer time for a durable commit to ride in: at a paced rate a settle
 * otherwise costs a transaction of its own, writing again the very pages the
 * next event's insert writes (about 70 µs of writer CPU per delivery at one
 * event per commit, 10 µs at fifty).
 */
export const deferrableOps: ReadonlySet<string> = new Set<OpName>(['settleDeliveries'])

export type WriteOps = typeof writeOps
export type OpName = keyof WriteOps
export type OpArgs<K extends OpName> = Parameters<WriteOps[K]>[1]
export type OpResult<K extends OpName> = ReturnType<WriteOps[K]>
