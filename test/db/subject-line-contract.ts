// Ordered delivery per subject, as every adapter must hold it (run by each
// adapter's test file against its real store): a claim takes only the head of
// each subject's line, other subjects flow, a dead head blocks only where
// asked, and an operator's skip or retry moves the line on.
import type { Test } from 'tap'
import type { ClaimArgs, Settlement, Store } from '../../src/store/contract.js'
import { TestClock } from '../helper.js'
import { newEvent, type OpenStore } from './store-contract.js'

const withSubject = (n: number, at: number, subject: string | null) => ({ ...newEvent(n, at), subject })

export function subjectLineContract (t: Test, open: OpenStore): void {
  async function opened (t: Test) {
    const clock = new TestClock()
    const { store } = await open(t, clock)
    /** Records events n = 1.. with these subjects, for destination 'a' ordered by subject (and 'b' not). */
    const record = async (subjects: ReadonlyArray<string | null>, lease = false) => {
      for (const [i, subject] of subjects.entries()) {
        clock.advance(1)
        await store.recordEvent({
          event: withSubject(i + 1, clock.now(), subject), destinations: ['a', 'b'], ordered: ['a'],
          ...(lease ? { lease: { owner: 'me', at: clock.now(), destinations: ['b'] } } : {})
        })
      }
    }
    const claim = async (ordering: ClaimArgs['ordering'] = { a: 'skip' }, n = 100) =>
      await store.claimDeliveries({ now: clock.now(), owner: 'me', slots: { a: n }, limit: n, ordering })
    const settle = async (id: number, attempt: number, result: Settlement['result']) =>
      await store.settleDeliveries({ now: clock.now(), settlements: [{ id, attempt, startedAt: clock.now(), durationMs: 1, result, statusCode: result === 'delivered' ? 200 : 500, error: result === 'delivered' ? null : 'HTTP 500', response: null, ...(result === 'retry' ? { runAt: clock.now() + 60_000 } : {}) }] })
    return { store, clock, record, claim, settle }
  }
  const eventsOf = (claimed: ReadonlyArray<{ event: { id: string } }>) => claimed.map((d) => d.event.id)

  t.test('subject lines: one delivery per subject at a time, oldest first; other subjects, unordered events and unordered destinations flow', async (t) => {
    const { store, clock, record, claim, settle } = await opened(t)
    await record(['u1', 'u1', 'u2', null, 'u1', 'u2'], true)
    const leased = (await store.listDeliveries({ limit: 50 })).items.filter((d) => d.locked_by !== null)
    t.same(leased.map((d) => d.destination), ['b', 'b', 'b', 'b', 'b', 'b'], 'leased at insert: every delivery to the unordered destination')
    t.same((await store.listDeliveries({ destination: 'a', limit: 50 })).items.map((d) => d.order_key).reverse(), ['u1', 'u1', 'u2', null, 'u1', 'u2'])

    const first = await claim()
    t.same(eventsOf(first.claimed), ['evt_000000001', 'evt_000000003', 'evt_000000004'], 'the head of u1, the head of u2, and the event without a subject')
    t.same(eventsOf((await claim()).claimed), [], 'nothing more while both heads are in flight')
    t.equal((await claim()).nextDueAt, null, 'rows held behind a head are not "due": the loop does not spin on them')

    await settle(first.claimed[0]!.id, 1, 'delivered')
    t.same(eventsOf((await claim()).claimed), ['evt_000000002'], 'u1 moves on once its head is delivered')
    await settle(first.claimed[1]!.id, 1, 'retry')
    t.same(eventsOf((await claim()).claimed), [], 'a head waiting for its retry holds u2')
    t.same(eventsOf((await store.claimDeliveries({ now: (await claim()).nextDueAt ?? 0, owner: 'me', slots: { a: 10 }, limit: 10, ordering: { a: 'skip' } })).claimed), ['evt_000000003'], 'at its time the head itself goes again, not the next')
    const unordered = (await store.claimDeliveries({ now: clock.now() + 60_000, owner: 'x', slots: { a: 10 }, limit: 10 })).claimed
    t.same(eventsOf(unordered), ['evt_000000005', 'evt_000000006'], 'claimed without ordering (the option turned off), every due row goes, lines or not')
  })

  t.test('subject lines: at insert, an exclusive store leases a delivery that heads its line (nothing of it pending or dead), a shared one none', async (t) => {
    const { store, clock, claim, settle } = await opened(t)
    const heads = store.exclusive
    const insert = async (n: number, subject: string): Promise<number> => {
      clock.advance(1)
      const { leased } = await store.recordEvent({ event: withSubject(n, clock.now(), subject), destinations: ['a'], ordered: ['a'], lease: { owner: 'me', at: clock.now(), destinations: ['a'] } })
      return leased.length
    }
    const asHeads = heads ? 'leased: the head of its line' : 'not leased: replicas share this store, only a claim knows the head'
    t.equal(await insert(1, 'u1'), heads ? 1 : 0, `u1, nothing in its line: ${asHeads}`)
    t.equal(await insert(2, 'u2'), heads ? 1 : 0, `u2 likewise: ${asHeads}`)
    t.equal(await insert(3, 'u1'), 0, 'another of u1 joins the line behind the first')
    if (!heads) {
      const [one, two] = (await claim()).claimed
      await settle(one!.id, 1, 'delivered')
      await settle(two!.id, 1, 'dead')
    } else {
      const rows = (await store.listDeliveries({ destination: 'a', limit: 10 })).items
      await settle(rows.find((d) => d.event_id === 'evt_000000001')!.id, 1, 'delivered')
      await settle(rows.find((d) => d.event_id === 'evt_000000002')!.id, 1, 'dead')
    }
    const next = (await claim()).claimed
    t.same(eventsOf(next), ['evt_000000003'], 'u1 moves on through a claim')
    await settle(next[0]!.id, 1, 'delivered')
    t.equal(await insert(4, 'u2'), 0, 'u2 has a dead delivery: not leased, even under onDead: skip (the claim judges the line)')
    const skipped = (await claim()).claimed
    t.same(eventsOf(skipped), ['evt_000000004'], 'which, under skip, takes it')
    await settle(skipped[0]!.id, 1, 'delivered')
    t.equal(await insert(5, 'u3'), heads ? 1 : 0, `u3, nothing in its line and nothing due before it: ${asHeads}`)
  })

  t.test('subject lines: a dead head lets its subject go under onDead: skip, and holds it under block until skipped or retried', async (t) => {
    const { store, clock, record, claim, settle } = await opened(t)
    await record(['u1', 'u1', 'u1', 'u2'])
    const [head, other] = (await claim({ a: 'block' })).claimed
    await settle(head!.id, 1, 'dead')
    await settle(other!.id, 1, 'delivered')
    t.same(eventsOf((await claim({ a: 'block' })).claimed), [], 'block: the dead head holds u1')
    const held = await store.heldSubjects({ ordering: { a: 'block' }, limit: 10 })
    t.match(held.items, [{ destination: 'a', subject: 'u1', waiting: 2, head: { id: head!.id, status: 'dead' } }], 'and u1 is listed as held, two waiting')
    t.same([...(await store.heldCounts({ ordering: { a: 'block' } })).entries()], [['a', { subjects: 1, waiting: 2 }]])
    t.same((await store.heldSubjects({ ordering: { a: 'skip' }, limit: 10 })).items, [], 'under skip, a dead head holds nothing')

    const retried = await store.retryDelivery({ id: head!.id, now: clock.now() })
    t.equal(retried.outcome, 'retried')
    const again = (await claim({ a: 'block' })).claimed
    t.same(again.map((d) => d.id), [head!.id], 'a retried head goes first again')
    await settle(head!.id, 1, 'dead')
    t.match(await store.skipDelivery({ id: head!.id, now: clock.now() }), { outcome: 'skipped', delivery: { status: 'dead', order_key: null } })
    t.same(eventsOf((await claim({ a: 'block' })).claimed), ['evt_000000002'], 'skipped: the next of u1 goes')
    t.same((await store.heldSubjects({ ordering: { a: 'block' }, limit: 10 })).items, [], 'nothing held: the new head is on its first attempt')
  })

  t.test('subject lines: skip refuses what is in no line, in flight or delivered; skipping a waiting head makes it dead', async (t) => {
    const { store, clock, record, claim, settle } = await opened(t)
    await record(['u1', 'u1', null])
    const { claimed } = await claim()
    const [head, plain] = claimed
    t.equal((await store.skipDelivery({ id: head!.id, now: clock.now() })).outcome, 'in_flight')
    t.equal((await store.skipDelivery({ id: plain!.id, now: clock.now() })).outcome, 'in_flight')
    await settle(plain!.id, 1, 'delivered')
    t.equal((await store.skipDelivery({ id: plain!.id, now: clock.now() })).outcome, 'delivered')
    t.equal((await store.skipDelivery({ id: 999_999, now: clock.now() })).outcome, 'missing')
    const b = (await store.listDeliveries({ destination: 'b', limit: 1 })).items[0]!
    t.equal((await store.skipDelivery({ id: b.id, now: clock.now() })).outcome, 'not_ordered')
    await settle(head!.id, 1, 'retry')
    const skipped = await store.skipDelivery({ id: head!.id, now: clock.now() })
    t.match(skipped, { outcome: 'skipped', delivery: { status: 'dead', order_key: null, last_error: /skipped by an operator/ } })
    t.equal((await store.getEvent(head!.event.id))!.event.status, 'dead', 'its event is dead')
    t.same(eventsOf((await claim()).claimed), ['evt_000000002'])
  })

  t.test('subject lines: a replay is not in the line; claims under lookahead windows never lease two of one subject', async (t) => {
    const { store, clock, record, claim, settle } = await opened(t)
    await record(['u1', 'u1'])
    const replayed = await store.replayEvent({ eventId: 'evt_000000001', destinations: ['a'], now: clock.now() })
    t.equal(replayed?.length, 1)
    const first = (await claim()).claimed
    t.same(first.map((d) => d.id).sort((x, y) => x - y), [first.find((d) => d.event.id === 'evt_000000001' && d.id !== replayed![0]!.id)!.id, replayed![0]!.id].sort((x, y) => x - y), 'the head and the replay, side by side')
    for (const d of first) await settle(d.id, 1, 'delivered')
    t.same(eventsOf((await claim()).claimed), ['evt_000000002'])
  })
}

/** For stores that several claimers share: claims racing on one subject still lease one delivery of it at a time. */
export async function racingClaims (t: Test, stores: readonly Store[], clock: TestClock): Promise<void> {
  for (let n = 1; n <= 40; n++) {
    await stores[0]!.recordEvent({ event: withSubject(n, clock.now(), `s${n % 4}`), destinations: ['a'], ordered: ['a'] })
  }
  const inFlight = new Map<string, number>()
  let delivered = 0
  let broken = 0
  const order = new Map<string, string[]>()
  while (delivered < 40) {
    const rounds = await Promise.all(stores.map(async (store, i) => ({ i, claimed: (await store.claimDeliveries({ now: clock.now(), owner: `r${i}`, slots: { a: 8 }, limit: 8, ordering: { a: 'skip' } })).claimed })))
    for (const { claimed } of rounds) {
      for (const d of claimed) {
        const subject = d.event.subject!
        if ((inFlight.get(subject) ?? 0) > 0) broken++
        inFlight.set(subject, (inFlight.get(subject) ?? 0) + 1)
        order.set(subject, [...(order.get(subject) ?? []), d.event.id])
      }
    }
    for (const { i, claimed } of rounds) {
      for (const d of claimed) {
        await stores[i]!.settleDeliveries({ now: clock.now(), settlements: [{ id: d.id, attempt: d.attempt, startedAt: clock.now(), durationMs: 1, result: 'delivered', statusCode: 200, error: null, response: null }] })
        inFlight.set(d.event.subject!, inFlight.get(d.event.subject!)! - 1)
        delivered++
      }
    }
  }
  t.equal(broken, 0, 'never two deliveries of one subject leased at once')
  for (const [subject, ids] of order) t.same(ids, [...ids].sort(), `${subject} in the order received`)
}
