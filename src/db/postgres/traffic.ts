import { eventIdFloor } from '../../ids.js'
import type { Traffic, TrafficArgs, TrafficCounts } from '../../store/contract.js'
import { query, type Conn } from './pool.js'

const HOUR = 3_600_000
interface HourCount { source: string, hour: number, n: number, last: number }

/**
 * Events stored and rejections kept per source and clock hour, and in the
 * last 60 minutes: the SQLite adapter's answer (see its traffic-cache.ts), in
 * one grouped read per table. Every replica writes the same tables, so there
 * is no per-process cache of closed hours to keep right.
 */
export async function trafficBySource (conn: Conn, { now, hours }: TrafficArgs): Promise<Traffic> {
  const current = Math.floor(now / HOUR) * HOUR
  const first = current - (hours - 1) * HOUR
  const params = { first, to: now + 1, lastFrom: now - HOUR, firstId: eventIdFloor(first), toId: eventIdFloor(now + 1) }
  const grouped = `SELECT source, (received_at / ${HOUR}) * ${HOUR} AS hour, count(*) AS n, count(*) FILTER (WHERE received_at >= @lastFrom) AS last`
  const accepted = await query<HourCount>(conn, `${grouped} FROM events
    WHERE id >= @firstId AND id < @toId AND received_at >= @first AND received_at < @to GROUP BY 1, 2`, params)
  const rejected = await query<HourCount>(conn, `${grouped} FROM rejections
    WHERE received_at >= @first AND received_at < @to GROUP BY 1, 2`, params)
  // The last hour reaches into the hour before the first bucket when only one is asked for.
  const before = first > now - HOUR
    ? { accepted: await lastHourBefore(conn, 'events', first, params), rejected: await lastHourBefore(conn, 'rejections', first, params) }
    : { accepted: [], rejected: [] }
  const buckets = []
  for (let start = first; start <= current; start += HOUR) {
    buckets.push({ start, accepted: inHour(accepted, start), rejected: inHour(rejected, start) })
  }
  return { buckets, lastHour: { accepted: lastHour([...accepted, ...before.accepted]), rejected: lastHour([...rejected, ...before.rejected]) } }
}

async function lastHourBefore (conn: Conn, table: 'events' | 'rejections', first: number, params: { lastFrom: number }): Promise<HourCount[]> {
  return await query<HourCount>(conn, `SELECT source, 0 AS hour, count(*) AS n, count(*) AS last FROM ${table}
    WHERE received_at >= @lastFrom AND received_at < @first GROUP BY 1`, { ...params, first })
}

function inHour (rows: readonly HourCount[], start: number): TrafficCounts {
  return Object.fromEntries(rows.filter((r) => r.hour === start).map((r) => [r.source, r.n]))
}

function lastHour (rows: readonly HourCount[]): TrafficCounts {
  const counts: Record<string, number> = {}
  for (const row of rows) if (row.last > 0) counts[row.source] = (counts[row.source] ?? 0) + row.last
  return counts
}
