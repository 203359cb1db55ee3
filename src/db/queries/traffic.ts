import type { Db } from '../open.js'
import { eventIdFloor } from '../../ids.js'
import type { TrafficArgs, TrafficRow } from '../../store/contract.js'
import { prepared } from '../statements.js'

/**
 * Events stored per source and bucket since `since`: a seek on the primary
 * key (ids begin with the receipt time) and a walk of that range only. The
 * `+source` keeps the planner off the (source, dedup_key) index, which would
 * group for free but read the whole table.
 */
export function acceptedBySource (db: Db, { since, bucketMs }: TrafficArgs): TrafficRow[] {
  return prepared<[Record<string, unknown>], TrafficRow>(db, `
    SELECT source, CAST((received_at - @since) / @bucketMs AS INTEGER) AS bucket, count(*) AS n FROM events
    WHERE id >= @sinceId AND received_at >= @since GROUP BY +source, bucket`).all({ since, bucketMs, sinceId: eventIdFloor(since) })
}

/** Rejections kept per source and bucket since `since` (rejections_received_at). */
export function rejectedBySource (db: Db, { since, bucketMs }: TrafficArgs): TrafficRow[] {
  return prepared<[Record<string, unknown>], TrafficRow>(db, `
    SELECT source, CAST((received_at - @since) / @bucketMs AS INTEGER) AS bucket, count(*) AS n FROM rejections
    WHERE received_at >= @since GROUP BY source, bucket`).all({ since, bucketMs })
}

/**
 * SQLite's counter of commits by other connections (the writer thread's):
 * it moves when anything was stored, and costs no table read, so the
 * console's live feed can watch it often.
 */
export function dataVersion (db: Db): number {
  return db.pragma('data_version', { simple: true }) as number
}
