// The SQLite adapter through the Store contract alone: what any adapter must
// do (a leased insert, a duplicate, the claim that follows, close), on a real
// file, plus what is this adapter's own (its instance lock).
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { openSqliteStore } from '../../../src/db/sqlite/sqlite-store.js'
import type { NewEvent, Store } from '../../../src/store/contract.js'
import { TestClock } from '../../helper.js'

const newEvent = (n: number, receivedAt: number): NewEvent => ({
  id: `evt_${String(n).padStart(9, '0')}`, source: 'clerk', provider: 'clerk', dedupKey: `msg_${n}`, type: 'user.created',
  subject: null, occurredAt: null, receivedAt, headers: '{}', body: new TextEncoder().encode(`{"n":${n}}`)
})

async function opened (t: Test, path = join(t.testdir(), 'hookgate.db')): Promise<{ store: Store, path: string, clock: TestClock }> {
  const clock = new TestClock()
  const store = await openSqliteStore({ path }, clock)
  t.teardown(() => store.close())
  return { store, path, clock }
}

t.test('an event recorded under a lease has its deliveries leased already; a duplicate answers the first id and stores nothing', async (t) => {
  const { store, clock } = await opened(t)
  const now = clock.now()
  const first = await store.recordEvent({ event: newEvent(1, now), destinations: ['a', 'b'], lease: { owner: 'me', at: now, destinations: ['a'] } })
  t.match(first, { id: 'evt_000000001', duplicate: false, leased: [{ destination: 'a' }] })
  const rows = (await store.listDeliveries({ limit: 10 })).items
  t.match(rows.find((d) => d.destination === 'a'), { id: first.leased[0]!.id, locked_by: 'me', attempts: 1 })
  t.match(rows.find((d) => d.destination === 'b'), { locked_by: null, attempts: 0 })

  const again = await store.recordEvent({ event: { ...newEvent(2, now), dedupKey: 'msg_1' }, destinations: ['a', 'b'], lease: { owner: 'me', at: now, destinations: ['a', 'b'] } })
  t.same(again, { id: first.id, duplicate: true, leased: [] })
  t.equal(await store.countDeliveries({}), 2, 'no delivery for the duplicate')

  const { claimed } = await store.claimDeliveries({ now, owner: 'me', slots: { a: 5, b: 5 }, limit: 10 })
  t.same(claimed.map((d) => [d.destination, d.attempt]), [['b', 1]], 'a claim takes only what was left pending')
})

t.test('a paused destination gets a pending delivery, not a leased one', async (t) => {
  const { store, clock } = await opened(t)
  await store.setPaused({ name: 'a', paused: true, now: clock.now() })
  const result = await store.recordEvent({ event: newEvent(1, clock.now()), destinations: ['a'], lease: { owner: 'me', at: clock.now(), destinations: ['a'] } })
  t.same(result.leased, [])
  t.match((await store.listDeliveries({ limit: 10 })).items, [{ destination: 'a', locked_by: null, attempts: 0 }])
  t.same(await store.pauseStates(), [{ name: 'a', paused: true, pausedAt: clock.now() }])
})

t.test('close commits what is queued, then frees the file for the next store; twice is safe, and writes after it are refused', async (t) => {
  const { store, path, clock } = await opened(t)
  const queued = store.recordEvent({ event: newEvent(1, clock.now()), destinations: ['a'] })
  await store.close()
  t.match(await queued, { duplicate: false }, 'the queued write committed before the close')
  await store.close()
  t.equal(store.closed, true)
  await t.rejects(store.probeWrite({ now: clock.now() }))

  const next = await opened(t, path)
  t.equal((await next.store.getEvent('evt_000000001'))?.event.status, 'pending', 'the next store reads it back')
})

t.test('a second store on the same file is refused while the first is open', async (t) => {
  const { path, clock } = await opened(t)
  await t.rejects(openSqliteStore({ path }, clock), { code: 'HG_ERR_STORAGE_IN_USE' })
})
