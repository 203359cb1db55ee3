// A settle is relaxed and nobody waits on it to go on: alone it waits a
// moment (DEFER_MS) for a durable write to share one commit with, instead of
// a transaction of its own; it never waits longer than that.
import { join } from 'node:path'
import { setImmediate as turn } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { openSqliteStore, type SqliteStore } from '../../../src/db/sqlite/sqlite-store.js'
import type { NewEvent, Settlement } from '../../../src/store/contract.js'
import { TestClock } from '../../helper.js'

const newEvent = (n: number, receivedAt: number): NewEvent => ({
  id: `evt_${String(n).padStart(9, '0')}`, source: 'clerk', provider: 'clerk', dedupKey: `msg_${n}`, type: 'user.created',
  subject: null, occurredAt: null, receivedAt, headers: '{}', body: new TextEncoder().encode(`{"n":${n}}`)
})

async function withLeasedDelivery (t: Test) {
  const clock = new TestClock()
  const store = await openSqliteStore({ path: join(t.testdir(), 'hookgate.db') }, clock) as SqliteStore
  t.teardown(() => store.close())
  const now = clock.now()
  const { leased } = await store.recordEvent({ event: newEvent(1, now), destinations: ['a'], lease: { owner: 'me', at: now, destinations: ['a'] } })
  const delivered: Settlement = { id: leased[0]!.id, attempt: 1, startedAt: now, durationMs: 1, statusCode: 200, response: 'ok', result: 'delivered', error: null }
  return { store, clock, delivered }
}

t.test('a settle alone is committed without any other write to carry it', async (t) => {
  const { store, clock, delivered } = await withLeasedDelivery(t)
  t.equal(await store.settleDeliveries({ now: clock.now(), settlements: [delivered] }), 1)
  t.match((await store.listDeliveries({ limit: 10 })).items, [{ status: 'delivered', locked_by: null }])
})

t.test('a settle queued before an event\'s write goes in the same commit', async (t) => {
  const { store, clock, delivered } = await withLeasedDelivery(t)
  const settled = store.settleDeliveries({ now: clock.now(), settlements: [delivered] })
  await turn() // a write that went at once would be in flight by now
  t.same(store.writer.depth, { queued: 1, inFlight: 0 }, 'the settle waits for company')
  const recorded = store.recordEvent({ event: newEvent(2, clock.now()), destinations: ['a'] })
  await turn()
  t.same(store.writer.depth, { queued: 0, inFlight: 2 }, 'one batch, one transaction, for both')
  t.equal(await settled, 1)
  t.match(await recorded, { duplicate: false })
})
