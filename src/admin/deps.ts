import type { Clock } from '../clock.js'
import type { Config } from '../config/load.js'
import { HG_ERR_STORAGE_UNAVAILABLE } from '../errors.js'
import { RETRY_AFTER_S } from '../http-errors.js'
import type { Router } from '../outbox/routing.js'
import type { Store } from '../store/contract.js'

/** What the admin routes need: the store they read and change, and how a replay routes. */
export interface AdminDeps {
  readonly config: Config
  readonly clock: Clock
  readonly store: Store
  readonly route: Router
  /** Deliveries became due (replay, retry, resume): wake the dispatcher instead of waiting for its poll. */
  readonly onQueued: () => void
  /** A destination was paused or resumed: the dispatchers hold back or release what waits for it. */
  readonly onPauseChanged?: (destination: string) => void
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

/** A store write's result; a storage failure answers 503 like ingest does, not a 500. */
export async function write<T> (stored: Promise<T>): Promise<T> {
  try {
    return await stored
  } catch (err) {
    throw new HG_ERR_STORAGE_UNAVAILABLE(RETRY_AFTER_S, { cause: err })
  }
}
