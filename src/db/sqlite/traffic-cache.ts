import type { TrafficArgs, TrafficCounts, Traffic } from '../../store/contract.js'
import type { Db } from './open.js'
import { acceptedBetween, rejectedBetween, type SourceCount } from './queries/traffic.js'

const HOUR = 3_600_000
const counts = (rows: SourceCount[], field: 'n' | 'after' = 'n'): TrafficCounts => Object.fromEntries(rows.map((r) => [r.source, r[field]]))

/**
 * Hourly traffic for the console's overview. Counting a day of events reads
 * a day of table rows (bodies are inline: about half a second at 100,000 a
 * day), so closed clock hours are counted once and kept; a request reads only
 * the last 60 minutes (for "last hour" and the current hour's bar). Events
 * are only ever added to the current hour (received_at is the clock at
 * receipt); retention deletes old ones, so a purge clears what is kept.
 * Rejections are capped and indexed by time: read every time.
 */
export function createTrafficCache (db: Db) {
  const closed = new Map<number, TrafficCounts>()

  return {
    clear (): void { closed.clear() },
    read ({ now, hours }: TrafficArgs): Traffic {
      const current = Math.floor(now / HOUR) * HOUR
      const first = current - (hours - 1) * HOUR
      for (const start of closed.keys()) if (start < first || start >= current) closed.delete(start)
      const buckets = []
      for (let start = first; start < current; start += HOUR) {
        let accepted = closed.get(start)
        if (accepted === undefined) closed.set(start, accepted = counts(acceptedBetween(db, start, start + HOUR)))
        buckets.push({ start, accepted, rejected: counts(rejectedBetween(db, start, start + HOUR)) })
      }
      // One read of the last 60 minutes (or from the hour's start, if longer ago) gives both
      // "last hour" and the current hour's bar (those received since `current`).
      const from = Math.min(current, now - HOUR)
      const accepted = acceptedBetween(db, from, now + 1, current)
      const rejected = rejectedBetween(db, from, now + 1, current)
      buckets.push({ start: current, accepted: counts(accepted, 'after'), rejected: counts(rejected, 'after') })
      if (from < now - HOUR) return { buckets, lastHour: { accepted: counts(acceptedBetween(db, now - HOUR, now + 1)), rejected: counts(rejectedBetween(db, now - HOUR, now + 1)) } }
      return { buckets, lastHour: { accepted: counts(accepted), rejected: counts(rejected) } }
    }
  }
}
