import t, { type Test } from 'tap'
import { admin, buildAdmin } from '../fixtures/admin.js'
import { deliveries, ingest } from '../fixtures/events.js'
import { startReceiver } from '../fixtures/receiver.js'
import { sqlite, sqliteOnly } from '../helper.js'

/** Two destinations whose receivers refuse everything with 400: each attempt kills its delivery. */
async function withDead (t: Test, events = 2) {
  const receiver = await startReceiver(t, () => ({ status: 400, body: 'no' }))
  const built = await buildAdmin(t, { destinations: { a: { url: receiver.url }, b: { url: receiver.url } } })
  const ids: string[] = []
  for (let i = 0; i < events; i++) ids.push(await ingest(built.app, i))
  await built.app.hookgate.dispatcher.runOnce()
  return { ...built, receiver, ids }
}

t.test('lists dead deliveries of one destination, newest first, with their event', async (t) => {
  const { app, ids } = await withDead(t)
  const { status, body } = await admin(app, 'GET', '/admin/deliveries?status=dead&destination=a')
  t.equal(status, 200)
  t.equal(body.items.length, 2)
  t.match(body.items, [
    { eventId: ids[1], destination: 'a', status: 'dead', attemptCount: 1, lastStatus: 400, source: 'clerk', type: 'user.created' },
    { eventId: ids[0], destination: 'a', status: 'dead' }
  ])
  t.same((await admin(app, 'GET', '/admin/deliveries?status=pending')).body.items, [])
  t.equal((await admin(app, 'GET', `/admin/deliveries?eventId=${ids[0]}`)).body.items.length, 2)
})

t.test('pages through deliveries with the cursor', async (t) => {
  const { app } = await withDead(t, 3)
  const first = await admin(app, 'GET', '/admin/deliveries?limit=4')
  t.equal(first.body.items.length, 4)
  t.type(first.body.nextCursor, 'string')
  const second = await admin(app, 'GET', `/admin/deliveries?limit=4&cursor=${first.body.nextCursor}`)
  t.equal(second.body.items.length, 2)
  t.equal(second.body.nextCursor, null)
  const all = [...first.body.items, ...second.body.items].map((d: { id: number }) => d.id)
  t.same(all, [...all].sort((x, y) => y - x), 'newest first')
  t.equal(new Set(all).size, 6)
})

t.test('refuses bad delivery filters with 400 naming the field', async (t) => {
  const { app } = await buildAdmin(t)
  for (const [query, message] of [
    ['status=none', 'querystring/status must be equal to one of the allowed values'],
    ['cursor=abc', 'querystring/cursor must match pattern'],
    ['until=2026-13-01', 'querystring/until must match format "date-time"']
  ] as const) {
    const { status, body } = await admin(app, 'GET', `/admin/deliveries?${query}`)
    t.equal(status, 400, query)
    t.match(body, { code: 'HG_ERR_BAD_REQUEST', message })
  }
})

t.test('retries one dead delivery with a fresh schedule, due now', async (t) => {
  const { app, clock, receiver } = await withDead(t, 1)
  const [dead] = await deliveries(app)
  clock.advance(60_000)
  const { status, body } = await admin(app, 'POST', `/admin/deliveries/${dead!.id}/retry`)
  t.equal(status, 200)
  t.same(body, { id: dead!.id, status: 'pending', runAt: new Date(clock.now()).toISOString() })
  t.match((await deliveries(app))[0], { status: 'pending', attempts: 0, run_at: clock.now(), queued_at: clock.now(), locked_at: null })
  const event = (await admin(app, 'GET', `/admin/events/${dead!.event_id}`)).body
  t.equal(event.status, 'pending')
  t.equal(event.deliveries[0].attempts.length, 1, 'the earlier attempt stays on record')
  const before = receiver.requests.length
  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests.length, before + 1, 'attempted again')
})

t.test('makes a pending delivery waiting for its next retry due now', async (t) => {
  const receiver = await startReceiver(t, [{ status: 500 }])
  const { app, clock } = await buildAdmin(t, { destinations: { a: { url: receiver.url } } })
  await ingest(app, 1)
  await app.hookgate.dispatcher.runOnce()
  const [waiting] = await deliveries(app)
  t.ok((waiting!.run_at as number) > clock.now())
  const { status } = await admin(app, 'POST', `/admin/deliveries/${waiting!.id}/retry`)
  t.equal(status, 200)
  t.match((await deliveries(app))[0], { status: 'pending', attempts: 1, run_at: clock.now() }, 'its schedule goes on: attempts kept')
  await app.hookgate.dispatcher.runOnce()
  t.match((await deliveries(app))[0], { status: 'delivered' })
})

t.test('refuses to retry an unknown, delivered or in-flight delivery', async (t) => {
  const receiver = await startReceiver(t)
  const { app, clock } = await buildAdmin(t, { destinations: { a: { url: receiver.url } } })
  await ingest(app, 1)
  await app.hookgate.dispatcher.runOnce()
  const [delivered] = await deliveries(app)
  t.match(await admin(app, 'POST', '/admin/deliveries/999/retry'), { status: 404, body: { code: 'HG_ERR_DELIVERY_NOT_FOUND', message: 'Unknown delivery 999' } })
  t.match(await admin(app, 'POST', `/admin/deliveries/${delivered!.id}/retry`), {
    status: 409, body: { code: 'HG_ERR_DELIVERY_NOT_RETRYABLE', message: `Delivery ${delivered!.id} was delivered; replay the event to send it again` }
  })
  t.match(await admin(app, 'POST', '/admin/deliveries/abc/retry'), { status: 400, body: { message: /params\/id must be integer/ } })

  await ingest(app, 2)
  const [, inFlight] = await deliveries(app)
  await app.hookgate.store.claimDeliveries({ now: clock.now(), owner: 'test', slots: { a: 1 }, limit: 1 })
  t.match(await admin(app, 'POST', `/admin/deliveries/${inFlight!.id}/retry`), {
    status: 409, body: { code: 'HG_ERR_DELIVERY_NOT_RETRYABLE', message: `Delivery ${inFlight!.id} is being attempted right now` }
  })
})

t.test('bulk retry counts first with dryRun, then retries dead deliveries by destination', async (t) => {
  const { app, receiver } = await withDead(t, 3)
  t.same((await admin(app, 'POST', '/admin/deliveries/retry', { dryRun: true })).body, { count: 6, dryRun: true })
  t.same((await admin(app, 'POST', '/admin/deliveries/retry', { destination: 'a', dryRun: true })).body, { count: 3, dryRun: true })
  t.equal((await deliveries(app)).filter((d) => d.status === 'dead').length, 6, 'a dry run changes nothing')

  const retried = await admin(app, 'POST', '/admin/deliveries/retry', { destination: 'a' })
  t.same(retried.body, { count: 3, dryRun: false })
  t.same((await deliveries(app)).map((d) => `${d.destination}:${d.status}`).sort(), ['a:pending', 'a:pending', 'a:pending', 'b:dead', 'b:dead', 'b:dead'])
  const before = receiver.requests.length
  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests.length, before + 3)
  t.same((await admin(app, 'POST', '/admin/deliveries/retry', {})).body, { count: 6, dryRun: false }, 'no filter: every dead delivery')
})

t.test('bulk retry filters on the delivery time', async (t) => {
  const receiver = await startReceiver(t, () => ({ status: 400 }))
  const { app, clock } = await buildAdmin(t, { destinations: { a: { url: receiver.url } } })
  await ingest(app, 1)
  clock.advance(60_000)
  const cut = new Date(clock.now()).toISOString()
  await ingest(app, 2)
  await app.hookgate.dispatcher.runOnce()
  t.same((await admin(app, 'POST', '/admin/deliveries/retry', { since: cut, dryRun: true })).body, { count: 1, dryRun: true })
  t.same((await admin(app, 'POST', '/admin/deliveries/retry', { until: cut, dryRun: true })).body, { count: 1, dryRun: true })
})

t.test('bulk retry refuses an unknown destination, an unknown field and a status other than dead or pending', async (t) => {
  const { app } = await withDead(t, 1)
  t.match(await admin(app, 'POST', '/admin/deliveries/retry', { destination: 'nowhere' }), { status: 404, body: { code: 'HG_ERR_DESTINATION_UNKNOWN' } })
  t.match(await admin(app, 'POST', '/admin/deliveries/retry', { destinaton: 'a' }), { status: 400, body: { message: 'Bad request: body/destinaton is not a known field' } })
  t.match(await admin(app, 'POST', '/admin/deliveries/retry', { status: 'delivered' }), { status: 400, body: { message: /body\/status must be equal to one of the allowed values/ } })
  t.match(await admin(app, 'POST', '/admin/deliveries/retry', { dryRun: 'yes' }), { status: 400, body: { message: /body\/dryRun must be boolean/ } })
  t.equal((await deliveries(app)).filter((d) => d.status === 'dead').length, 2, 'nothing retried')
})

t.test('answers 503 with a code when storage cannot take an admin write', async (t) => {
  if (sqliteOnly(t)) return
  const { app } = await withDead(t, 1)
  await sqlite(app).writer.close()
  const [dead] = await deliveries(app)
  t.match(await admin(app, 'POST', `/admin/deliveries/${dead!.id}/retry`), { status: 503, body: { code: 'HG_ERR_STORAGE_UNAVAILABLE' } })
  t.match(await admin(app, 'POST', '/admin/deliveries/retry', {}), { status: 503, body: { code: 'HG_ERR_STORAGE_UNAVAILABLE' } })
  t.match(await admin(app, 'GET', '/admin/deliveries?status=dead'), { status: 200 }, 'reads still answer')
})

t.test('bulk retry of pending makes only waiting deliveries due: not leased ones, not dead ones, and by event', async (t) => {
  const receiver = await startReceiver(t, (_r, i) => i < 3 ? { status: 503 } : { status: 400 })
  const built = await buildAdmin(t, { destinations: { a: { url: receiver.url, retry: { schedule: ['0s', '5m'] } } } })
  const { app, clock } = built
  const ids = [await ingest(app, 1), await ingest(app, 2), await ingest(app, 3)]
  await app.hookgate.dispatcher.runOnce() // all three fail: waiting 5 minutes
  await app.hookgate.store.claimDeliveries({ now: clock.now() + 300_000, owner: 'elsewhere', slots: { a: 1 }, limit: 1 })
  const before = await deliveries(app)
  t.match(before, [{ locked_by: 'elsewhere' }, { locked_by: null }, { locked_by: null }])
  t.match(await admin(app, 'POST', '/admin/deliveries/retry', { status: 'pending', dryRun: true }), { status: 200, body: { count: 2, dryRun: true } })
  t.match(await admin(app, 'POST', '/admin/deliveries/retry', { status: 'pending', eventId: ids[1] }), { status: 200, body: { count: 1 } })
  const after = await deliveries(app)
  t.equal(after[1]!.run_at, clock.now(), 'due now')
  t.equal(after[1]!.attempts, 1, 'keeps its attempts')
  t.equal(after[2]!.run_at, before[2]!.run_at, 'another event is left alone')
  t.equal(after[0]!.run_at, before[0]!.run_at, 'a leased one is left alone')
  t.same(await app.hookgate.dispatcher.runOnce(), { claimed: 1, settled: 1 })
  t.match((await deliveries(app))[1], { status: 'dead' }, 'its receiver refused it for good')
  t.match(await admin(app, 'POST', '/admin/deliveries/retry', { status: 'pending', eventId: ids[1] }), { status: 200, body: { count: 0 } }, 'a dead one is not pending')
})
