import t, { type Test } from 'tap'
import { admin, buildAdmin } from '../fixtures/admin.js'
import { deliveries, ingest } from '../fixtures/events.js'
import { startReceiver, type Received } from '../fixtures/receiver.js'

const sent = (r: Received) => JSON.parse(r.body.toString()) as { id: string, subject: string }

/**
 * `ledger` orders by subject, with what a dead head does set by `onDead`;
 * its receiver answers `failWith` to the subjects in `refused`, 200 to the
 * rest. `plain` orders nothing, and its receiver refuses everything.
 */
async function ordered (t: Test, options: { onDead?: 'skip' | 'block', failWith?: number, start?: boolean } = {}) {
  const refused = new Set(['user_a'])
  const receiver = await startReceiver(t, (r) => refused.has(sent(r).subject) ? { status: options.failWith ?? 400, body: 'no' } : { status: 200 })
  const other = await startReceiver(t, () => ({ status: 400 }))
  const built = await buildAdmin(t, {
    startDispatcher: options.start ?? false,
    destinations: {
      ledger: { url: receiver.url, ordering: 'subject', ...(options.onDead === undefined ? {} : { onDead: options.onDead }) },
      plain: { url: other.url }
    }
  })
  const to = (subject: string) => receiver.requests.map(sent).filter((e) => e.subject === subject).map((e) => e.id)
  const headOf = async (eventId: string) => (await deliveries(built.app)).find((d) => d.event_id === eventId && d.destination === 'ledger')!
  return { ...built, receiver, refused, to, headOf }
}

/** a1, a2, a3 about user_a and b1 about user_b, ingested in that order. */
async function fourEvents (app: Parameters<typeof ingest>[0]) {
  return { a: [await ingest(app, 'a1', 'user.created', 'user_a'), await ingest(app, 'a2', 'user.updated', 'user_a'), await ingest(app, 'a3', 'user.updated', 'user_a')], b1: await ingest(app, 'b1', 'user.created', 'user_b') }
}

t.test('with onDead: block, a dead head holds its subject while other subjects are sent; the held list and the destination figures show it', async (t) => {
  const { app, to, headOf } = await ordered(t, { onDead: 'block' })
  const { a, b1 } = await fourEvents(app)
  await app.hookgate.dispatcher.runOnce()
  t.same(to('user_a'), [a[0]], 'only the head of user_a went, and was refused')
  t.same(to('user_b'), [b1])
  t.equal((await app.hookgate.dispatcher.runOnce()).claimed, 0, 'nothing of user_a is claimed behind its dead head')
  const b2 = await ingest(app, 'b2', 'user.updated', 'user_b')
  await app.hookgate.dispatcher.runOnce()
  t.same(to('user_b'), [b1, b2], 'a later event of another subject still goes')
  t.same(to('user_a'), [a[0]])

  const head = await headOf(a[0]!)
  const held = await admin(app, 'GET', '/admin/held')
  t.equal(held.status, 200)
  t.same(held.body, {
    items: [{ destination: 'ledger', subject: 'user_a', state: 'dead', waiting: 2, head: { ...held.body.items[0].head, id: head.id, eventId: a[0], destination: 'ledger', status: 'dead', attemptCount: 1, lastStatus: 400, inFlight: false } }],
    nextCursor: null
  })
  t.same((await admin(app, 'GET', '/admin/held?destination=plain')).body, { items: [], nextCursor: null }, 'a destination that orders nothing holds nothing')
  const figures = Object.fromEntries((await admin(app, 'GET', '/admin/destinations')).body.items.map((d: { name: string }) => [d.name, d]))
  t.match(figures.ledger, { ordering: 'subject', onDead: 'block', heldSubjects: 1, heldDeliveries: 2, dead: 1, pending: 2 })
  t.match(figures.plain, { ordering: 'none', onDead: null, heldSubjects: 0, heldDeliveries: 0 })
})

/** user_a held behind its dead head (onDead: block), two of its events waiting; the receiver now takes everything. */
async function deadHead (t: Test) {
  const built = await ordered(t, { onDead: 'block' })
  const { a } = await fourEvents(built.app)
  await built.app.hookgate.dispatcher.runOnce()
  built.refused.clear()
  return { ...built, a, head: await built.headOf(a[0]!) }
}

t.test('skipping the dead head through the admin API releases its subject: the next events go in order, the skipped one stays dead', async (t) => {
  const { app, to, headOf, a, head } = await deadHead(t)
  const skipped = await admin(app, 'POST', `/admin/deliveries/${head.id}/skip`)
  t.equal(skipped.status, 200)
  t.match(skipped.body, { id: head.id, eventId: a[0], status: 'dead', lastStatus: 400, inFlight: false })
  await app.hookgate.dispatcher.runOnce()
  await app.hookgate.dispatcher.runOnce()
  t.same(to('user_a'), a, 'a2 then a3, after the refused a1')
  t.match(await headOf(a[0]!), { status: 'dead', attempts: 1 }, 'not sent again')
  t.same((await admin(app, 'GET', '/admin/held')).body.items, [])
  t.equal((await admin(app, 'GET', `/admin/events/${a[0]}`)).body.status, 'dead')
})

t.test('retrying the dead head through the admin API sends it again first, then the rest of its subject in order', async (t) => {
  const { app, to, headOf, a, head } = await deadHead(t)
  t.match(await admin(app, 'POST', `/admin/deliveries/${head.id}/retry`), { status: 200, body: { id: head.id, status: 'pending' } })
  t.match((await admin(app, 'GET', '/admin/held')).body.items, [{ subject: 'user_a', state: 'retrying', waiting: 2 }], 'held until the retried head is through')
  for (let i = 0; i < 3; i++) t.equal((await app.hookgate.dispatcher.runOnce()).claimed, 1, `one of user_a at a time (${i})`)
  t.same(to('user_a'), [a[0], a[0], a[1], a[2]], 'a1 refused, a1 again, then a2 and a3')
  t.match(await headOf(a[0]!), { status: 'delivered' })
  t.same((await admin(app, 'GET', '/admin/held')).body.items, [])
})

t.test('skip wakes the running dispatcher: the next of the subject goes without waiting for a poll', async (t) => {
  const { app, to, refused, headOf, receiver } = await ordered(t, { onDead: 'block', start: true })
  const a1 = await ingest(app, 'a1', 'user.created', 'user_a')
  const a2 = await ingest(app, 'a2', 'user.updated', 'user_a')
  await receiver.received(1)
  await app.hookgate.dispatcher.idle()
  t.match(await headOf(a1), { status: 'dead' })
  refused.clear()
  t.equal((await admin(app, 'POST', `/admin/deliveries/${(await headOf(a1)).id}/skip`)).status, 200)
  await receiver.received(2) // the test clock never moved: no poll timer fired
  await app.hookgate.dispatcher.idle()
  t.same(to('user_a'), [a1, a2])
  t.match(await headOf(a2), { status: 'delivered' })
})

t.test('with onDead: skip, a head waiting for its retry holds its subject; skipping it makes it dead and lets the next go', async (t) => {
  const { app, to, refused, headOf } = await ordered(t, { failWith: 503 })
  const a1 = await ingest(app, 'a1', 'user.created', 'user_a')
  const a2 = await ingest(app, 'a2', 'user.updated', 'user_a')
  await app.hookgate.dispatcher.runOnce()
  const held = (await admin(app, 'GET', '/admin/held?destination=ledger')).body.items
  t.match(held, [{ subject: 'user_a', state: 'retrying', waiting: 1, head: { eventId: a1, status: 'pending', lastStatus: 503 } }])
  refused.clear()
  t.match(await admin(app, 'POST', `/admin/deliveries/${held[0].head.id}/skip`), { status: 200, body: { status: 'dead', lastError: /skipped by an operator/ } })
  await app.hookgate.dispatcher.runOnce()
  t.same(to('user_a'), [a1, a2], 'a2 went at once; a1 was not tried again')
  t.match(await headOf(a1), { status: 'dead' })
})

t.test('refuses to skip an unknown, delivered, in-flight or unordered delivery', async (t) => {
  const { app, clock, headOf } = await ordered(t, { onDead: 'block' })
  const { a, b1 } = await fourEvents(app)
  await app.hookgate.dispatcher.runOnce()
  t.match(await admin(app, 'POST', '/admin/deliveries/999/skip'), { status: 404, body: { code: 'HG_ERR_DELIVERY_NOT_FOUND', message: 'Unknown delivery 999' } })
  t.match(await admin(app, 'POST', '/admin/deliveries/abc/skip'), { status: 400, body: { message: /params\/id must be integer/ } })
  const delivered = await headOf(b1)
  t.match(await admin(app, 'POST', `/admin/deliveries/${delivered.id}/skip`), {
    status: 409, body: { code: 'HG_ERR_DELIVERY_NOT_SKIPPABLE', message: `Delivery ${delivered.id} was delivered: nothing waits for it` }
  })
  const plain = (await deliveries(app)).find((d) => d.destination === 'plain' && d.event_id === a[1])!
  t.equal(plain.status, 'dead')
  t.match(await admin(app, 'POST', `/admin/deliveries/${plain.id}/skip`), { status: 409, body: { code: 'HG_ERR_DELIVERY_NOT_SKIPPABLE', message: /waits in no subject's line/ } })
  const c1 = await ingest(app, 'c1', 'user.created', 'user_c')
  await app.hookgate.store.claimDeliveries({ now: clock.now(), owner: 'elsewhere', slots: { ledger: 1 }, limit: 1, ordering: { ledger: 'block' } })
  const inFlight = await headOf(c1)
  t.equal(inFlight.locked_by, 'elsewhere')
  t.match(await admin(app, 'POST', `/admin/deliveries/${inFlight.id}/skip`), {
    status: 409, body: { code: 'HG_ERR_DELIVERY_NOT_SKIPPABLE', message: `Delivery ${inFlight.id} is being attempted right now` }
  })
  const head = await headOf(a[0]!)
  await admin(app, 'POST', `/admin/deliveries/${head.id}/skip`)
  t.match(await admin(app, 'POST', `/admin/deliveries/${head.id}/skip`), { status: 409, body: { code: 'HG_ERR_DELIVERY_NOT_SKIPPABLE' } }, 'skipped once already')
})

t.test('pages through held subjects oldest head first; refuses an unknown destination', async (t) => {
  const { app, refused } = await ordered(t, { onDead: 'block' })
  refused.add('user_c')
  const a1 = await ingest(app, 'a1', 'user.created', 'user_a')
  const c1 = await ingest(app, 'c1', 'user.created', 'user_c')
  await app.hookgate.dispatcher.runOnce()
  const first = await admin(app, 'GET', '/admin/held?limit=1')
  t.match(first.body, { items: [{ subject: 'user_a', waiting: 0, head: { eventId: a1 } }] }, 'a dead head holds its subject even with nothing behind it yet')
  t.type(first.body.nextCursor, 'string')
  const second = await admin(app, 'GET', `/admin/held?limit=1&cursor=${first.body.nextCursor}`)
  t.match(second.body, { items: [{ subject: 'user_c', head: { eventId: c1 } }], nextCursor: null })
  t.match(await admin(app, 'GET', '/admin/held?destination=nowhere'), { status: 404, body: { code: 'HG_ERR_DESTINATION_UNKNOWN' } })
  t.match(await admin(app, 'GET', '/admin/held?cursor=x'), { status: 400, body: { message: /querystring\/cursor must match pattern/ } })
})
