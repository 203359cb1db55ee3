// Several gateways on one store, through the Store contract alone: beats,
// the stale-lease takeover, retiring, and signals. Each adapter's test file
// runs these against its own store; the owners here are names, as
// dispatchers would use them.
import type { Test } from 'tap'
import type { Store, StoreSignal } from '../../src/store/contract.js'
import { TestClock } from '../helper.js'
import { signalsFlow } from '../fixtures/signals.js'
import { newEvent, type OpenStore } from './store-contract.js'

const S = 1000
const WINDOW = { staleAfterMs: 15 * S, why: 'its gateway stopped beating' }

/** Records event n with one delivery to `hooks` and leases it to `owner` now. */
async function leased (store: Store, clock: TestClock, n: number, owner: string): Promise<number> {
  await store.recordEvent({ event: newEvent(n, clock.now()), destinations: ['hooks'] })
  const { claimed } = await store.claimDeliveries({ now: clock.now(), owner, slots: { hooks: 1 }, limit: 1 })
  return claimed[0]!.id
}

async function lockedBy (store: Store): Promise<Array<string | null>> {
  return (await store.listDeliveries({ limit: 100 })).items.sort((a, b) => a.id - b.id).map((d) => d.locked_by)
}

export function replicaContract (t: Test, open: OpenStore): void {
  async function opened (t: Test) {
    const clock = new TestClock()
    return { ...(await open(t, clock)), clock }
  }

  t.test('a live owner\'s leases are never taken, however old; a silent owner\'s are, its attempt recorded as of unknown outcome', async (t) => {
    const { store, clock } = await opened(t)
    await store.beat({ owner: 'live', now: clock.now() })
    await store.beat({ owner: 'silent', now: clock.now() })
    await leased(store, clock, 1, 'live')
    const taken = await leased(store, clock, 2, 'silent')
    for (let i = 0; i < 12; i++) { // a minute on: 'live' keeps beating every 5 s
      clock.advance(5 * S)
      await store.beat({ owner: 'live', now: clock.now() })
      const freed = await store.reclaimStaleLeases({ now: clock.now(), ...WINDOW })
      t.equal(freed, i === 2 ? 1 : 0, `at ${(i + 1) * 5} s`)
    }
    t.same(await lockedBy(store), ['live', null])
    const detail = await store.getEvent('evt_000000002')
    t.match(detail?.deliveries, [{ id: taken, status: 'pending', attempts: 1, last_error: /^no outcome: its gateway stopped beating/ }])
    t.match(detail?.deliveries[0]?.attemptRows, [{ attempt: 1, status_code: null, error: /^no outcome: its gateway stopped beating; the receiver may or may not have it$/ }])
  })

  t.test('an owner is taken for dead only once its last beat is a whole window old, not a millisecond before', async (t) => {
    const { store, clock } = await opened(t)
    await store.beat({ owner: 'other', now: clock.now() })
    await leased(store, clock, 1, 'other')
    clock.advance(15 * S - 1)
    t.equal(await store.reclaimStaleLeases({ now: clock.now(), ...WINDOW }), 0)
    clock.advance(1)
    t.equal(await store.reclaimStaleLeases({ now: clock.now(), ...WINDOW }), 1)
  })

  t.test('a lease whose owner never beat counts from its own start', async (t) => {
    const { store, clock } = await opened(t)
    await leased(store, clock, 1, 'never-beat')
    clock.advance(10 * S)
    await leased(store, clock, 2, 'never-beat')
    clock.advance(5 * S)
    t.equal(await store.reclaimStaleLeases({ now: clock.now(), ...WINDOW }), 1)
    t.same(await lockedBy(store), [null, 'never-beat'])
  })

  t.test('a dead owner is forgotten with its leases, and a retired one at once: what either leases later counts from its own start', async (t) => {
    const { store, clock } = await opened(t)
    await store.beat({ owner: 'dead', now: clock.now() })
    await store.beat({ owner: 'retired', now: clock.now() })
    await store.retireOwner({ owner: 'retired' })
    clock.advance(20 * S)
    t.equal(await store.reclaimStaleLeases({ now: clock.now(), ...WINDOW }), 0, 'neither held a lease')
    await leased(store, clock, 1, 'dead')
    await leased(store, clock, 2, 'retired')
    clock.advance(1 * S)
    // Had either row stayed, its beat 21 s ago would make these leases stale now.
    t.equal(await store.reclaimStaleLeases({ now: clock.now(), ...WINDOW }), 0)
    t.same(await lockedBy(store), ['dead', 'retired'])
  })

  t.test('a beat never moves an owner\'s time back', async (t) => {
    const { store, clock } = await opened(t)
    await store.beat({ owner: 'a', now: clock.now() + 10 * S })
    await store.beat({ owner: 'a', now: clock.now() })
    await leased(store, clock, 1, 'a')
    clock.advance(20 * S)
    t.equal(await store.reclaimStaleLeases({ now: clock.now(), ...WINDOW }), 0, 'the beat 10 s ahead still holds')
  })

  t.test('the expiry sweep given an owner frees only that owner\'s old leases', async (t) => {
    const { store, clock } = await opened(t)
    await leased(store, clock, 1, 'me')
    await leased(store, clock, 2, 'other')
    clock.advance(70 * S)
    t.equal(await store.reclaimLeases({ now: clock.now(), olderThanMs: 70 * S, owner: 'me', why: 'the lease expired' }), 1)
    t.same(await lockedBy(store), [null, 'other'])
    t.equal(await store.reclaimLeases({ now: clock.now(), olderThanMs: 70 * S, why: 'the lease expired' }), 1, 'every owner\'s without one')
  })

  t.test('a signal reaches every listener on the store after signal() returns, and none that unsubscribed', async (t) => {
    const { store } = await opened(t)
    const heard: Array<[string, StoreSignal]> = []
    let wake = () => {}
    const heardAll = (n: number) => new Promise<void>((resolve) => { wake = () => { if (heard.length >= n) resolve() }; wake() })
    const hear = (name: string) => (s: StoreSignal) => { if (s.destination !== 'probe') heard.push([name, s]); wake() }
    store.onSignal(hear('a'))
    const stopB = store.onSignal(hear('b'))
    await signalsFlow(store, { kind: 'due', destination: 'probe' })
    const sent = store.signal({ kind: 'paused', destination: 'hooks' })
    t.same(heard, [], 'not inside the call')
    await sent
    await heardAll(2)
    t.same(heard.sort(), [['a', { kind: 'paused', destination: 'hooks' }], ['b', { kind: 'paused', destination: 'hooks' }]])
    stopB()
    await store.signal({ kind: 'due', destination: null })
    await heardAll(3)
    await store.signal({ kind: 'due', destination: 'hooks' })
    await heardAll(4)
    t.same(heard.slice(2), [['a', { kind: 'due', destination: null }], ['a', { kind: 'due', destination: 'hooks' }]], 'B heard neither')
  })
}
