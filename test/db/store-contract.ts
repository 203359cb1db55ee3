// The storage contract's promises, held by any adapter: each adapter's test
// file runs these against its own store (a real SQLite file, a real
// PostgreSQL database), plus the tests of what is its own.
import type { Test } from 'tap'
import { newEventId } from '../../src/ids.js'
import type { NewEvent, Store } from '../../src/store/contract.js'
import { TestClock } from '../helper.js'

export const newEvent = (n: number, receivedAt: number): NewEvent => ({
  id: `evt_${String(n).padStart(9, '0')}`, source: 'clerk', provider: 'clerk', dedupKey: `msg_${n}`, type: 'user.created',
  subject: null, occurredAt: null, receivedAt, headers: '{}', body: new TextEncoder().encode(`{"n":${n}}`)
})

/** Opens a store at `where` (a new place when absent), closed in teardown; answers where it is, so a test can open it again. */
export type OpenStore = (t: Test, clock: TestClock, where?: string) => Promise<{ store: Store, where: string }>

export function storeContract (t: Test, open: OpenStore): void {
  async function opened (t: Test, where?: string) {
    const clock = new TestClock()
    return { ...(await open(t, clock, where)), clock }
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

  t.test('duplicates recorded at once, in one group commit, all answer the id of the one stored', async (t) => {
    const { store, clock } = await opened(t)
    const now = clock.now()
    const results = await Promise.all([1, 2, 3, 4].map((n) => store.recordEvent({ event: { ...newEvent(n, now), dedupKey: n % 2 === 0 ? 'even' : 'odd' }, destinations: ['a'] })))
    t.same(results.map((r) => [r.id, r.duplicate]), [['evt_000000001', false], ['evt_000000002', false], ['evt_000000001', true], ['evt_000000002', true]])
    t.equal(await store.countDeliveries({}), 2)
  })

  t.test('a paused destination gets a pending delivery, not a leased one', async (t) => {
    const { store, clock } = await opened(t)
    await store.setPaused({ name: 'a', paused: true, now: clock.now() })
    const result = await store.recordEvent({ event: newEvent(1, clock.now()), destinations: ['a'], lease: { owner: 'me', at: clock.now(), destinations: ['a'] } })
    t.same(result.leased, [])
    t.match((await store.listDeliveries({ limit: 10 })).items, [{ destination: 'a', locked_by: null, attempts: 0 }])
    t.same(await store.pauseStates(), [{ name: 'a', paused: true, pausedAt: clock.now() }])
  })

  t.test('a delivery due and unclaimed goes first: a new event for its destination is queued behind it, not leased', async (t) => {
    const { store, clock } = await opened(t)
    await store.recordEvent({ event: newEvent(1, clock.now()), destinations: ['a'] })
    clock.advance(10)
    const second = await store.recordEvent({ event: newEvent(2, clock.now()), destinations: ['a'], lease: { owner: 'me', at: clock.now(), destinations: ['a'] } })
    t.same(second.leased, [])
    const { claimed } = await store.claimDeliveries({ now: clock.now(), owner: 'me', slots: { a: 1 }, limit: 1 })
    t.same(claimed.map((d) => d.event.id), ['evt_000000001'], 'the older one is claimed first')
  })

  t.test('a settled delivery moves its event on; a retry waits until its time, a dead one can be retried and replayed', async (t) => {
    const { store, clock } = await opened(t)
    const now = clock.now()
    await store.recordEvent({ event: newEvent(1, now), destinations: ['a', 'b'] })
    const { claimed } = await store.claimDeliveries({ now, owner: 'me', slots: { a: 5, b: 5 }, limit: 10 })
    t.equal(claimed.length, 2)
    const [a, b] = [claimed.find((d) => d.destination === 'a')!, claimed.find((d) => d.destination === 'b')!]
    t.same(Buffer.from(a.event.body).toString(), '{"n":1}')
    const base = { attempt: 1, startedAt: now, durationMs: 3.4, error: null, response: null }
    t.equal(await store.settleDeliveries({ now, settlements: [{ ...base, id: a.id, result: 'delivered', statusCode: 200 }, { ...base, id: b.id, result: 'retry', runAt: now + 5000, statusCode: 500, error: 'HTTP 500' }] }), 2)
    t.same((await store.claimDeliveries({ now, owner: 'me', slots: { b: 5 }, limit: 5 })).claimed, [], 'the retry is not due yet')
    t.equal((await store.claimDeliveries({ now, owner: 'me', slots: { b: 5 }, limit: 5 })).nextDueAt, now + 5000)
    t.equal(await store.retryPendingDeliveries({ filter: {}, now, limit: 10 }), 1, 'made due now')
    const again = (await store.claimDeliveries({ now, owner: 'me', slots: { b: 5 }, limit: 5 })).claimed
    t.same(again.map((d) => d.attempt), [2])
    await store.settleDeliveries({ now, settlements: [{ ...base, attempt: 2, id: b.id, result: 'dead', statusCode: 410, error: 'gone' }] })
    const detail = await store.getEvent('evt_000000001')
    t.equal(detail?.event.status, 'dead')
    t.same(detail?.deliveries.map((d) => [d.destination, d.status, d.attemptRows.length]), [['a', 'delivered', 1], ['b', 'dead', 2]])
    t.match(await store.destinationFigures({ names: ['a', 'b'], deliveredSince: 0 }), [{ name: 'a', deliveredSince: 1 }, { name: 'b', dead: 1, lastError: { message: 'gone', status: 410 } }])
    t.match(await store.retryDelivery({ id: a.id, now }), { outcome: 'delivered' })
    t.match(await store.retryDelivery({ id: b.id, now }), { outcome: 'retried', delivery: { status: 'pending', attempts: 0 } })
    t.equal((await store.getEvent('evt_000000001'))?.event.status, 'pending')
    const replayed = await store.replayEvent({ eventId: 'evt_000000001', destinations: ['a'], now })
    t.match(replayed, [{ destination: 'a' }])
    t.equal(await store.replayEvent({ eventId: 'evt_nope', destinations: ['a'], now }), null)
    t.match(await store.queueDepths(), new Map([['a', { pending: 1, dead: 0 }], ['b', { pending: 1, dead: 0 }]]))
  })

  t.test('leases are unclaimed, released and reclaimed as the dispatcher asks', async (t) => {
    const { store, clock } = await opened(t)
    const now = clock.now()
    for (const n of [1, 2, 3]) await store.recordEvent({ event: newEvent(n, now), destinations: ['a'] })
    const { claimed } = await store.claimDeliveries({ now, owner: 'me', slots: { a: 3 }, limit: 3 })
    t.equal(await store.unclaimDeliveries({ now, owner: 'me', ids: [claimed[0]!.id] }), 1)
    t.equal(await store.releaseLeases({ now, owner: 'me' }), 2)
    await store.claimDeliveries({ now, owner: 'old', slots: { a: 3 }, limit: 3 })
    clock.advance(60_000)
    t.equal(await store.reclaimLeases({ now: clock.now(), olderThanMs: 30_000, why: 'lease expired' }), 3)
    const detail = await store.getEvent('evt_000000001')
    t.match(detail?.deliveries[0]?.attemptRows, [{ attempt: 1, started_at: now, error: /no outcome: lease expired/ }])
    t.equal(await store.hastenDeliveries({ now: clock.now(), destination: 'a', limit: 10 }), 0, 'nothing waits for later')
  })

  t.test('lists page newest first with filters, and retention purges settled events keeping their dedup keys', async (t) => {
    const { store, clock } = await opened(t)
    const ids: string[] = []
    for (const n of [1, 2, 3]) ids.push((await store.recordEvent({ event: { ...newEvent(n, clock.now() + n), id: newEventId(clock.now() + n), type: n === 2 ? 'session.ended' : 'user.created' }, destinations: [] })).id)
    const page = await store.listEvents({ limit: 2 })
    t.equal(page.items.length, 2)
    t.ok(page.nextCursor)
    t.equal((await store.listEvents({ limit: 2, cursor: page.nextCursor! })).items.length, 1)
    t.same((await store.listEvents({ limit: 10, typeGlob: 'user.*' })).items.map((e) => e.dedup_key).sort(), ['msg_1', 'msg_3'])
    t.same((await store.listEvents({ limit: 10, search: { text: 'msg_2', sources: ['clerk'] } })).items.map((e) => e.type), ['session.ended'])
    t.equal(await store.purgeEvents({ before: clock.now() + 10, limit: 10, keepKeysAfter: 0 }), 3)
    t.same(await store.recordEvent({ event: { ...newEvent(9, clock.now()), dedupKey: 'msg_2' }, destinations: [] }), { id: ids[1], duplicate: true, leased: [] }, 'a purged key still answers its first id')
    t.equal(await store.purgeDedupKeys({ before: clock.now() + 10, limit: 10 }), 3)
  })

  t.test('rejections are kept within their row cap, listed newest first, counted in traffic, and purged', async (t) => {
    const { store, clock } = await opened(t)
    const rejection = (n: number) => ({ receivedAt: clock.now() + n, source: 'clerk', reason: 'HG_ERR_SIGNATURE_INVALID', statusCode: 401, message: 'No matching signature', remoteAddr: '127.0.0.1', headers: '{}', body: new Uint8Array([n]), bodyBytes: 1 })
    for (const n of [1, 2, 3]) t.ok(await store.recordRejection({ rejection: rejection(n), maxRows: 2, maxBytes: 1024 * 1024 }))
    const { items } = await store.listRejections({ limit: 10 })
    t.same(items.map((r) => r.received_at - clock.now()), [3, 2], 'the oldest went beyond two rows')
    await store.recordEvent({ event: { ...newEvent(1, clock.now()), id: newEventId(clock.now()) }, destinations: [] })
    const traffic = await store.trafficBySource({ now: clock.now() + 10, hours: 2 })
    t.same(traffic.lastHour, { accepted: { clerk: 1 }, rejected: { clerk: 2 } })
    t.equal(traffic.buckets.length, 2)
    t.equal(await store.purgeRejections({ before: clock.now() + 10, limit: 10 }), 2)
    t.equal(await store.recordRejection({ rejection: rejection(4), maxRows: 0, maxBytes: 1024 * 1024 }), null)
  })

  t.test('close commits what is queued, then lets the next store open; twice is safe, and writes after it are refused', async (t) => {
    const { store, where, clock } = await opened(t)
    const queued = store.recordEvent({ event: newEvent(1, clock.now()), destinations: ['a'] })
    await store.close()
    t.match(await queued, { duplicate: false }, 'the queued write committed before the close')
    await store.close()
    t.equal(store.closed, true)
    await t.rejects(store.probeWrite({ now: clock.now() }))

    const next = await opened(t, where)
    t.equal((await next.store.getEvent('evt_000000001'))?.event.status, 'pending', 'the next store reads it back')
    const mark = await next.store.changeMark()
    await next.store.probeWrite({ now: clock.now() })
    t.not(await next.store.changeMark(), mark, 'a commit moves the change mark')
  })
}
