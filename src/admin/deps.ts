import type { Clock } from '../clock.js'
import type { Config } from '../config/load.js'
import type { Db } from '../db/open.js'
import type { OpArgs, OpName, OpResult } from '../db/write-ops.js'
import type { Writer } from '../db/writer.js'
import { HG_ERR_STORAGE_UNAVAILABLE } from '../errors.js'
import { RETRY_AFTER_S } from '../http-errors.js'
import type { Router } from '../outbox/routing.js'

/** What the admin routes need: reads on the main-thread connection, writes through the writer. */
export interface AdminDeps {
  readonly config: Config
  readonly clock: Clock
  readonly writer: Writer
  readonly db: Db
  readonly route: Router
  /** Deliveries became due (replay, retry, resume): wake the dispatcher instead of waiting for its poll. */
  readonly onQueued: () => void
  /** Whether the dispatcher's circuit breaker holds the destination back (its receiver looks down). */
  readonly breakerOpen?: (destination: string) => boolean
}

/** ISO query times as the database's milliseconds. The schema has already checked the format. */
export const toMs = (iso: string | undefined): number | undefined => iso === undefined ? undefined : Date.parse(iso)

/** A list query's ISO since/until as ms and its cursor as a row id: the shape the paged SQL reads take. */
export function numericPage<Q extends { since?: string, until?: string, cursor?: string }> (query: Q) {
  const { since, until, cursor, ...filter } = query
  return { ...filter, since: toMs(since), until: toMs(until), cursor: cursor === undefined ? undefined : Number(cursor) }
}

/** A write through the writer; a storage failure answers 503 like ingest does, not a 500. */
export async function write<K extends OpName> (writer: Writer, op: K, args: OpArgs<K>): Promise<OpResult<K>> {
  try {
    return await writer.run(op, args)
  } catch (err) {
    throw new HG_ERR_STORAGE_UNAVAILABLE(RETRY_AFTER_S, { cause: err })
  }
}
