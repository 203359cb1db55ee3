import t from 'tap'
import { createTrafficCache } from '../../../src/db/sqlite/traffic-cache.js'
import { newEventId } from '../../../src/ids.js'
import { recordEvent } from '../../../src/db/sqlite/queries/record.js'
import { recordRejection } from '../../../src/db/sqlite/queries/rejections.js'
import { migratedDb } from '../../helper.js'
import type { Db } from '../../../src/db/sqlite/open.js'

const HOUR = 3_600_000
const NOW = Date.UTC(2026, 10, 23, 12, 30, 0)
let n = 0

function event (db: Db, source: string, receivedAt: number): void {
  n++
  recordEvent(db, {
    event: { id: newEventId(receivedAt), source, provider: 'clerk', dedupKey: `k${n}`, type: 't', subject: null, occurredAt: null, receivedAt, headers: '{}', body: new Uint8Array(0) },
    destinations: []
  })
}

function rejection (db: Db, source: string, receivedAt: number): void {
  recordRejection(db, { rejection: { receivedAt, source, reason: 'HG_ERR_SIGNATURE_INVALID', statusCode: 401, message: 'm', remoteAddr: null, headers: '{}', body: null, bodyBytes: null }, maxRows: 100, maxBytes: 1 << 20 })
}

t.test('counts per source and clock hour, and the last 60 minutes exactly', async (t) => {
  const db = migratedDb(t)
  event(db, 'clerk', NOW - 25 * HOUR) // outside the 24 hours
  event(db, 'clerk', NOW - 23 * HOUR) // 13:30 the day before: the oldest bucket (13:00)
  event(db, 'clerk', NOW - 50 * 60_000) // 11:40: last hour, previous clock hour
  event(db, 'clerk', NOW - 10 * 60_000) // 12:20: last hour, this clock hour
  event(db, 'chaindoc', NOW)
  rejection(db, 'clerk', NOW - 5 * 60_000)
  const traffic = createTrafficCache(db).read({ now: NOW, hours: 24 })
  t.equal(traffic.buckets.length, 24)
  t.equal(traffic.buckets[0]!.start, Date.UTC(2026, 10, 22, 13))
  t.equal(traffic.buckets[23]!.start, Date.UTC(2026, 10, 23, 12))
  t.same(traffic.buckets[23], { start: Date.UTC(2026, 10, 23, 12), accepted: { clerk: 1, chaindoc: 1 }, rejected: { clerk: 1 } })
  t.same(traffic.buckets[22]!.accepted, { clerk: 1 })
  t.same(traffic.lastHour, { accepted: { clerk: 2, chaindoc: 1 }, rejected: { clerk: 1 } })
  t.same(traffic.buckets[0]!.accepted, { clerk: 1 })
  t.equal(traffic.buckets.reduce((sum, b) => sum + (b.accepted.clerk ?? 0), 0), 3, 'the one 25 h ago is before the oldest clock hour')
})

t.test('counts a closed hour once: later reads see the current hour\'s new events, and a clear counts again', async (t) => {
  const db = migratedDb(t)
  const cache = createTrafficCache(db)
  event(db, 'clerk', NOW - 2 * HOUR)
  t.same(cache.read({ now: NOW, hours: 24 }).buckets[21]!.accepted, { clerk: 1 })
  event(db, 'clerk', NOW - 2 * HOUR) // as retention's opposite would: a closed hour changing under the cache
  event(db, 'clerk', NOW)
  const again = cache.read({ now: NOW, hours: 24 })
  t.same(again.buckets[21]!.accepted, { clerk: 1 }, 'kept, not read again')
  t.same(again.buckets[23]!.accepted, { clerk: 1 }, 'the current hour is read every time')
  cache.clear()
  t.same(cache.read({ now: NOW, hours: 24 }).buckets[21]!.accepted, { clerk: 2 })
})
