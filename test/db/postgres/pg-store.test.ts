// The PostgreSQL adapter through the Store contract (../store-contract.ts), on
// a real server and a database of its own per test, plus what is this
// adapter's own: several stores on one database (replicas), migrations run
// once when they start together, and a lost server or connection.
import t, { type Test } from 'tap'
import { readdirSync } from 'node:fs'
import { migrationsDir } from '../../../src/db/postgres/migrate.js'
import { openPgStore, type PgStore } from '../../../src/db/postgres/pg-store.js'
import { freshDatabase, postgresMissing } from '../../fixtures/postgres.js'
import type { StoreSignal } from '../../../src/store/contract.js'
import { TestClock } from '../../helper.js'
import { newEvent, storeContract, type OpenStore } from '../store-contract.js'
import { replicaContract } from '../replica-contract.js'
import { racingClaims, subjectLineContract } from '../subject-line-contract.js'

const missing = postgresMissing()
if (missing !== null) t.plan(0, missing)
else {
  const open: OpenStore = async (t, clock, where) => {
    const url = where ?? await freshDatabase(t)
    const store = await openPgStore({ url, poolSize: 4 }, clock)
    t.teardown(() => store.close())
    return { store, where: url }
  }

  storeContract(t, open)
  replicaContract(t, open)
  subjectLineContract(t, open)

  t.test('replicas claiming one ordered destination at once never lease two deliveries of one subject, and keep each subject in order', async (t) => {
    const { stores, clock } = await replicas(t, 3, 4)
    await racingClaims(t, stores, clock)
  })

  t.test('an ordered claim waits for another replica\'s claim of that destination to commit, so it sees that claim\'s lease of a later event of the subject', async (t) => {
    // The race the claim lock closes: a subject's later event committed first and was leased by a
    // replica (its claim transaction still open), when the earlier one commits. Without the lock,
    // another replica's claim would not see the uncommitted lease and would lease the earlier one too.
    const { stores: [a, b], clock } = await replicas(t, 2, 2)
    for (const n of [1, 2]) await a!.recordEvent({ event: { ...newEvent(n, clock.now()), subject: 'u1' }, destinations: ['a'], ordered: ['a'] })
    const [first, later] = (await a!.listDeliveries({ limit: 10 })).items.map((d) => d.id).sort((x, y) => x - y)
    const claimingA = await a!.pool.connect()
    t.teardown(() => claimingA.release())
    await claimingA.query('BEGIN')
    await claimingA.query("SELECT pg_advisory_xact_lock(hashtext('hookgate:subject-lines:a'))")
    await claimingA.query("UPDATE deliveries SET locked_at = $1, locked_by = 'replica-a', attempts = 1 WHERE id = $2", [clock.now(), later])
    let settled = false
    const claimB = b!.claimDeliveries({ now: clock.now(), owner: 'replica-b', slots: { a: 5 }, limit: 5, ordering: { a: 'skip' } }).finally(() => { settled = true })
    const waiting = async () => (await a!.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rows[0]!.n
    for (let i = 0; i < 500 && await waiting() === 0 && !settled; i++) await new Promise((resolve) => setImmediate(resolve))
    t.equal(settled, false, 'B\'s claim has not returned while A\'s is open')
    t.equal(await waiting(), 1, 'it waits on the destination\'s claim lock')
    await claimingA.query('COMMIT')
    t.same((await claimB).claimed.map((d) => d.id), [], `then it sees ${later} leased and leaves ${first} alone: one of the subject in flight`)
  })

  t.test('settles made at once share one transaction, and each caller hears only its own moves', async (t) => {
    const clock = new TestClock()
    const { store } = await open(t, clock)
    for (const n of [1, 2, 3]) await store.recordEvent({ event: newEvent(n, clock.now()), destinations: ['a'] })
    const claimed = (await store.claimDeliveries({ now: clock.now(), owner: 'me', slots: { a: 3 }, limit: 3 })).claimed
    t.equal(claimed.length, 3)
    const settle = (id: number, attempt: number) => store.settleDeliveries({ now: clock.now(), settlements: [{ id, attempt, startedAt: clock.now(), durationMs: 1, result: 'delivered', statusCode: 200, error: null, response: null }] })
    const moved = await Promise.all([settle(claimed[0]!.id, 1), settle(claimed[1]!.id, 1), settle(claimed[2]!.id, 2)])
    t.same(moved, [1, 1, 0], 'each its own count; the one whose attempt number does not match moves nothing')
    const { rows } = await (store as PgStore).pool.query<{ transactions: number, attempts: number }>('SELECT count(DISTINCT xmin::text)::int AS transactions, count(*)::int AS attempts FROM attempts')
    t.same(rows[0], { transactions: 1, attempts: 3 }, 'three attempt rows, written by one transaction')
    const byId = new Map((await store.listDeliveries({ limit: 10 })).items.map((d) => [d.id, d]))
    t.match([claimed[0], claimed[1], claimed[2]].map((c) => byId.get(c!.id)), [{ status: 'delivered' }, { status: 'delivered' }, { status: 'pending', locked_by: 'me' }])
    t.same(await Promise.all([1, 2, 3].map(async (n) => (await store.getEvent(`evt_00000000${n}`))?.event.status)), ['delivered', 'delivered', 'pending'], 'events follow their deliveries')
  })

  t.test('every pooled session ends a transaction left idle, and a statement stuck, after a minute; migrations wait for their lock however long', async (t) => {
    const { store } = await open(t, new TestClock())
    const pg = (store as unknown as { pool: { query: (sql: string) => Promise<{ rows: Array<Record<string, string>> }> } }).pool
    const shown = async (name: string) => Object.values((await pg.query(`SHOW ${name}`)).rows[0]!)[0]
    t.equal(await shown('idle_in_transaction_session_timeout'), '1min')
    t.equal(await shown('statement_timeout'), '1min', 'back after the migration lock wait (RESET)')
  })

  t.test('replicas starting together migrate once, and share one database', async (t) => {
    const { stores, clock } = await replicas(t, 3, 2)
    const { rows } = await stores[0]!.pool.query<{ name: string }>('SELECT name FROM migrations ORDER BY name')
    t.same(rows.map((r) => r.name), readdirSync(migrationsDir()).sort(), 'every file once')
    await stores[1]!.recordEvent({ event: newEvent(1, clock.now()), destinations: ['a'] })
    t.equal((await stores[2]!.getEvent('evt_000000001'))?.event.id, 'evt_000000001')
  })

  t.test('the same message recorded at once on several replicas is stored once, and every answer carries the first id', async (t) => {
    const { stores, clock } = await replicas(t, 3, 4)
    const now = clock.now()
    const answers = await Promise.all(Array.from({ length: 30 }, (_, n) =>
      stores[n % 3]!.recordEvent({ event: { ...newEvent(n, now), dedupKey: `msg_${n % 5}` }, destinations: ['a'] })))
    const stored = answers.filter((a) => !a.duplicate)
    t.equal(stored.length, 5, 'one stored per message')
    for (const answer of answers) {
      const first = stored.find((s) => s.id === answer.id)
      t.ok(first, `${answer.id} is a stored event's id`)
    }
    t.equal(await stores[0]!.countDeliveries({}), 5, 'one delivery per stored event')
  })

  t.test('replicas claiming at once never take the same delivery', async (t) => {
    const { stores, clock } = await replicas(t, 3, 4)
    const now = clock.now()
    await Promise.all(Array.from({ length: 60 }, (_, n) => stores[0]!.recordEvent({ event: newEvent(n, now), destinations: ['a'] })))
    const claims = await Promise.all(stores.flatMap((store, i) => [1, 2].map(() => store.claimDeliveries({ now, owner: `replica-${i}`, slots: { a: 15 }, limit: 15 }))))
    const ids = claims.flatMap((c) => c.claimed.map((d) => d.id))
    t.equal(ids.length, 60, 'all taken')
    t.equal(new Set(ids).size, 60, 'none twice')
  })

  t.test('two deliveries of one event settled at once, on two replicas, leave the event dead, not pending', async (t) => {
    const { stores, clock } = await replicas(t, 2, 2)
    const now = clock.now()
    // Each round: one event, a delivery to each destination; one is delivered and the other goes dead at the same moment.
    for (let n = 0; n < 20; n++) {
      const { id } = await stores[0]!.recordEvent({ event: newEvent(n, now), destinations: ['ok', 'gone'] })
      const { claimed } = await stores[0]!.claimDeliveries({ now, owner: 'r', slots: { ok: 1, gone: 1 }, limit: 2 })
      const settle = (store: typeof stores[number], destination: string, result: 'delivered' | 'dead') => {
        const d = claimed.find((c) => c.destination === destination)!
        return store.settleDeliveries({ now, settlements: [{ id: d.id, attempt: d.attempt, startedAt: now, durationMs: 1, result, statusCode: result === 'dead' ? 410 : 200, error: null, response: null }] })
      }
      // A third session holds the event's row, so both settles have moved their delivery before either reaches the event.
      const holder = await stores[0]!.pool.connect()
      await holder.query('BEGIN')
      await holder.query('SELECT id FROM events WHERE id = $1 FOR UPDATE', [id])
      const settling = Promise.all([settle(stores[0]!, 'ok', 'delivered'), settle(stores[1]!, 'gone', 'dead')])
      // Watched from outside the holder's transaction: pg_stat_activity is a snapshot per transaction.
      await waitUntilBlocked(stores[1]!.pool, 2)
      await holder.query('COMMIT')
      holder.release()
      await settling
      const status = (await stores[1]!.getEvent(id))?.event.status
      if (status !== 'dead') return t.fail(`round ${n}: event ${status}, want dead`)
    }
    t.pass('dead in every round')
  })

  /** Resolves once `n` other sessions wait on a lock (pg_stat_activity): the settles reached the event's row. */
  async function waitUntilBlocked (conn: { query: (sql: string) => Promise<{ rows: Array<{ n: string }> }> }, n: number): Promise<void> {
    for (;;) {
      const { rows } = await conn.query("SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
      if (Number(rows[0]?.n ?? 0) >= n) return
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  /** Three stores on one fresh database, as three replicas would open it. */
  async function replicas (t: Test, n = 3, poolSize = 3) {
    const url = await freshDatabase(t)
    const clock = new TestClock()
    const stores = await Promise.all(Array.from({ length: n }, () => openPgStore({ url, poolSize }, clock)))
    t.teardown(() => Promise.all(stores.map((s) => s.close())))
    return { stores, clock }
  }
  const S = 1000
  const WINDOW = { staleAfterMs: 15 * S, why: 'its gateway stopped beating' }

  t.test('the PostgreSQL store is shared: a replica takes over a silent replica\'s leases, never a live one\'s, however old', async (t) => {
    const { stores: [a, b, c], clock } = await replicas(t)
    t.equal(a!.exclusive, false)
    await a!.beat({ owner: 'a', now: clock.now() })
    await b!.beat({ owner: 'b', now: clock.now() })
    for (const n of [1, 2]) await a!.recordEvent({ event: newEvent(n, clock.now()), destinations: ['hooks'] })
    await a!.claimDeliveries({ now: clock.now(), owner: 'a', slots: { hooks: 1 }, limit: 1 })
    await b!.claimDeliveries({ now: clock.now(), owner: 'b', slots: { hooks: 1 }, limit: 1 })
    const freed: number[] = []
    for (let i = 0; i < 6; i++) { // 30 s on: 'a' keeps beating every 5 s, 'b' was killed
      clock.advance(5 * S)
      await a!.beat({ owner: 'a', now: clock.now() })
      freed.push(await c!.reclaimStaleLeases({ now: clock.now(), ...WINDOW }))
    }
    t.same(freed, [0, 0, 1, 0, 0, 0], 'b\'s lease freed once its last beat is 15 s old')
    const rows = (await c!.listDeliveries({ limit: 10 })).items.sort((x, y) => x.id - y.id)
    t.same(rows.map((d) => d.locked_by), ['a', null])
    t.match((await c!.getEvent(rows[1]!.event_id))?.deliveries[0]?.attemptRows, [{ attempt: 1, error: /^no outcome: its gateway stopped beating/ }])
    await a!.retireOwner({ owner: 'a' })
    clock.advance(1)
    t.equal(await c!.reclaimStaleLeases({ now: clock.now(), ...WINDOW }), 1, 'a retired owner\'s lease counts from its own start, 30 s ago')
    await b!.beat({ owner: 'b', now: clock.now() + 10 * S })
    await b!.beat({ owner: 'b', now: clock.now() })
    const { rows: [beat] } = await b!.pool.query<{ beat_at: number }>('SELECT beat_at FROM replicas WHERE owner = $1', ['b'])
    t.equal(beat?.beat_at, clock.now() + 10 * S, 'a beat never moves an owner\'s time back')
  })

  t.test('a signal sent on one replica reaches the listeners of every replica, the sender\'s own included, and none that unsubscribed', async (t) => {
    const { stores: [a, b] } = await replicas(t, 2)
    const heard: Array<[string, StoreSignal]> = []
    let arrived!: () => void
    let expected = 2
    const all = new Promise<void>((resolve) => { arrived = resolve })
    const hear = (name: string) => (signal: StoreSignal) => { heard.push([name, signal]); if (--expected === 0) arrived() }
    const stopA = a!.onSignal(hear('a'))
    b!.onSignal(hear('b'))
    // LISTEN runs on a connection each store opens with its first listener: a signal before it is not heard (best effort).
    await Promise.all([a!, b!].map((s) => s.listening()))
    await a!.signal({ kind: 'paused', destination: 'hooks' })
    await all
    t.same(heard.sort(), [['a', { kind: 'paused', destination: 'hooks' }], ['b', { kind: 'paused', destination: 'hooks' }]])
    stopA()
    expected = 1
    const second = new Promise<void>((resolve) => { arrived = resolve })
    await b!.signal({ kind: 'due', destination: null })
    await second
    t.same(heard.slice(2), [['b', { kind: 'due', destination: null }]])
  })
}
