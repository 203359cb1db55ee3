// The PostgreSQL adapter through the Store contract (../store-contract.ts), on
// a real server and a database of its own per test, plus what is this
// adapter's own: several stores on one database (replicas), migrations run
// once when they start together, and a lost server or connection.
import t from 'tap'
import { openPgStore } from '../../../src/db/postgres/pg-store.js'
import { freshDatabase, postgresMissing } from '../../fixtures/postgres.js'
import { TestClock } from '../../helper.js'
import { newEvent, storeContract, type OpenStore } from '../store-contract.js'

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

  t.test('replicas starting together migrate once, and share one database', async (t) => {
    const url = await freshDatabase(t)
    const clock = new TestClock()
    const stores = await Promise.all([1, 2, 3].map(() => openPgStore({ url, poolSize: 2 }, clock)))
    t.teardown(() => Promise.all(stores.map((s) => s.close())))
    const { rows } = await stores[0]!.pool.query<{ name: string }>('SELECT name FROM migrations')
    t.same(rows.map((r) => r.name), ['0001_init.sql'])
    await stores[1]!.recordEvent({ event: newEvent(1, clock.now()), destinations: ['a'] })
    t.equal((await stores[2]!.getEvent('evt_000000001'))?.event.id, 'evt_000000001')
  })

  t.test('the same message recorded at once on several replicas is stored once, and every answer carries the first id', async (t) => {
    const url = await freshDatabase(t)
    const clock = new TestClock()
    const stores = await Promise.all([1, 2, 3].map(() => openPgStore({ url, poolSize: 4 }, clock)))
    t.teardown(() => Promise.all(stores.map((s) => s.close())))
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
    const url = await freshDatabase(t)
    const clock = new TestClock()
    const stores = await Promise.all([1, 2, 3].map(() => openPgStore({ url, poolSize: 4 }, clock)))
    t.teardown(() => Promise.all(stores.map((s) => s.close())))
    const now = clock.now()
    await Promise.all(Array.from({ length: 60 }, (_, n) => stores[0]!.recordEvent({ event: newEvent(n, now), destinations: ['a'] })))
    const claims = await Promise.all(stores.flatMap((store, i) => [1, 2].map(() => store.claimDeliveries({ now, owner: `replica-${i}`, slots: { a: 15 }, limit: 15 }))))
    const ids = claims.flatMap((c) => c.claimed.map((d) => d.id))
    t.equal(ids.length, 60, 'all taken')
    t.equal(new Set(ids).size, 60, 'none twice')
  })
}
