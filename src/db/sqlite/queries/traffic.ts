import type { Db } from '../open.js'
import { eventIdFloor } from '../../../ids.js'
import { prepared } from '../statements.js'

export interface SourceCount { source: string, n: number, /** Of n, those received at or after `split`. */ after: number }

/**
 * Events stored per source with received_at in [from, to): a seek on the
 * primary key (ids begin with the receipt time) and a walk of that range.
 * `+source` keeps the planner off the (source, dedup_key) index, which
 * would group for free but read the whole table. Each row read is a table
 * row (bodies inline), so callers keep the range short: see traffic-cache.ts.
 */
export function acceptedBetween (db: Db, from: number, to: number, split = to): SourceCount[] {
  return prepared<[Record<string, unknown>], SourceCount>(db, `
    SELECT source, count(*) AS n, sum(received_at >= @split) AS after FROM events
    WHERE id >= @fromId AND id < @toId AND received_at >= @from AND received_at < @to GROUP BY +source`)
    .all({ from, to, split, fromId: eventIdFloor(from), toId: eventIdFloor(to) })
}

/** Rejections kept per source with received_at in [from, to) (rejections_received_at; the table is capped). */
export function rejectedBetween (db: Db, from: number, to: number, split = to): SourceCount[] {
  return prepared<[Record<string, unknown>], SourceCount>(db, `
    SELECT source, count(*) AS n, sum(received_at >= @split) AS after FROM rejections
    WHERE received_at >= @from AND received_at < @to GROUP BY source`).all({ from, to, split })
}

/**
 * SQLite's counter of commits by other connections (the writer thread's):
 * it moves when anything was stored, and costs no table read, so the
 * console's live feed can watch it often.
 */
export function dataVersion (db: Db): number {
  return db.pragma('data_version', { simple: true }) as number
}
