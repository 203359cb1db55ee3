import t from 'tap'
import { sampleEvent } from '../../providers/samples.js'
import { signChaindoc } from '../../providers/sign.js'
import { admin, buildAdmin } from '../fixtures/admin.js'
import { ingest } from '../fixtures/events.js'
import { startReceiver } from '../fixtures/receiver.js'
import { CHAINDOC_SECRET } from '../helper.js'
import type { FastifyInstance } from 'fastify'

async function ingestChaindoc (app: FastifyInstance, type = 'document.signed'): Promise<string> {
  const now = app.hookgate.clock.now()
  const body = sampleEvent('chaindoc', type, now)
  const headers = signChaindoc({ timestampIso: new Date(now).toISOString(), body, secret: CHAINDOC_SECRET })
  const res = await app.inject({ method: 'POST', url: '/webhooks/chaindoc', headers, payload: body })
  return res.json().id
}

t.test('lists events newest first, filtered by source, type, status, subject and time', async (t) => {
  const { app, clock } = await buildAdmin(t)
  const first = await ingest(app, 1)
  clock.advance(1000)
  const second = await ingest(app, 2, 'user.deleted')
  clock.advance(1000)
  const third = await ingestChaindoc(app)

  const all = await admin(app, 'GET', '/admin/events')
  t.equal(all.status, 200)
  t.same(all.body.items.map((e: { id: string }) => e.id), [third, second, first])
  t.match(all.body.items[2], { id: first, source: 'clerk', provider: 'clerk', type: 'user.created', subject: 'user_1', dedupKey: 'msg_1', status: 'none', receivedAt: new Date(clock.now() - 2000).toISOString() })
  t.equal(all.body.nextCursor, null)

  const ids = async (query: string) => (await admin(app, 'GET', `/admin/events?${query}`)).body.items.map((e: { id: string }) => e.id)
  t.same(await ids('source=chaindoc'), [third])
  t.same(await ids('type=user.deleted'), [second])
  t.same(await ids('subject=user_1'), [first])
  t.same(await ids('status=none&source=clerk'), [second, first])
  t.same(await ids('status=pending'), [])
  t.same(await ids(`since=${new Date(clock.now() - 1000).toISOString()}`), [third, second])
  t.same(await ids(`until=${new Date(clock.now() - 1000).toISOString()}`), [first])
})

t.test('pages through events with the cursor', async (t) => {
  const { app, clock } = await buildAdmin(t)
  const ingested: string[] = []
  for (let i = 0; i < 5; i++) {
    ingested.unshift(await ingest(app, i))
    clock.advance(10)
  }
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const { body } = await admin(app, 'GET', `/admin/events?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`)
    seen.push(...body.items.map((e: { id: string }) => e.id))
    cursor = body.nextCursor
    pages++
  } while (cursor !== null)
  t.same(seen, ingested, 'every event once, newest first')
  t.equal(pages, 3)
})

t.test('refuses bad filters with 400 naming the field', async (t) => {
  const { app } = await buildAdmin(t)
  const cases: Array<[string, string]> = [
    ['status=bogus', 'querystring/status must be equal to one of the allowed values'],
    ['since=yesterday', 'querystring/since must match format "date-time"'],
    ['limit=0', 'querystring/limit must be >= 1'],
    ['limit=many', 'querystring/limit must be integer'],
    ['limit=501', 'querystring/limit must be <= 500'],
    ['cursor=123', 'querystring/cursor must match pattern'],
    ['stauts=dead', 'querystring/stauts is not a known field']
  ]
  for (const [query, message] of cases) {
    const { status, body } = await admin(app, 'GET', `/admin/events?${query}`)
    t.equal(status, 400, query)
    t.equal(body.code, 'HG_ERR_BAD_REQUEST')
    t.match(body.message, message)
  }
})

t.test('shows one event with its headers, raw body, deliveries and their attempts', async (t) => {
  const receiver = await startReceiver(t, [{ status: 500, body: 'down' }, { status: 200, body: 'ok' }])
  const { app, clock } = await buildAdmin(t, { destinations: { svc: { url: receiver.url } } })
  const id = await ingest(app, 7)
  await app.hookgate.dispatcher.runOnce()
  clock.advance(10_000)
  await app.hookgate.dispatcher.runOnce()

  const { status, body } = await admin(app, 'GET', `/admin/events/${id}`)
  t.equal(status, 200)
  t.match(body, { id, source: 'clerk', type: 'user.created', subject: 'user_7', status: 'delivered', bodyEncoding: 'utf8' })
  t.same(Object.keys(body.headers).sort(), ['svix-id', 'svix-signature', 'svix-timestamp'])
  t.same(JSON.parse(body.body), JSON.parse(receiver.requests[0]!.body.toString()).data, 'the exact bytes, as text')
  t.equal(body.deliveries.length, 1)
  t.match(body.deliveries[0], { destination: 'svc', status: 'delivered', attemptCount: 2, inFlight: false, lastError: null, lastStatus: 200 })
  t.match(body.deliveries[0].attempts, [
    { attempt: 1, statusCode: 500, error: 'HTTP 500', responseBody: 'down' },
    { attempt: 2, statusCode: 200, error: null, responseBody: 'ok' }
  ])
})

t.test('answers an unknown event id with 404 and a malformed one with 400', async (t) => {
  const { app } = await buildAdmin(t)
  const unknown = await admin(app, 'GET', '/admin/events/evt_0000000000000000000000')
  t.equal(unknown.status, 404)
  t.match(unknown.body, { code: 'HG_ERR_EVENT_NOT_FOUND', message: "Unknown event 'evt_0000000000000000000000'" })
  const malformed = await admin(app, 'GET', '/admin/events/not-an-id')
  t.equal(malformed.status, 400)
  t.match(malformed.body.message, 'params/id must match pattern')
})

t.test('replays an event to every destination that takes it, as new deliveries', async (t) => {
  const receiver = await startReceiver(t)
  const { app } = await buildAdmin(t, {
    destinations: { all: { url: receiver.url }, sessions: { url: receiver.url, events: ['session.*'] } }
  })
  const id = await ingest(app, 1)
  await app.hookgate.dispatcher.runOnce()
  t.equal((await admin(app, 'GET', `/admin/events/${id}`)).body.status, 'delivered')

  const replay = await admin(app, 'POST', `/admin/events/${id}/replay`)
  t.equal(replay.status, 202)
  t.match(replay.body, { eventId: id, deliveries: [{ id: Number, destination: 'all' }] })
  const pending = (await admin(app, 'GET', `/admin/events/${id}`)).body
  t.equal(pending.status, 'pending', 'the event is pending again until the replay settles')
  t.same(pending.deliveries.map((d: { status: string }) => d.status), ['delivered', 'pending'])

  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests.length, 2, 'sent again')
  t.equal((await admin(app, 'GET', `/admin/events/${id}`)).body.status, 'delivered')
})

t.test('a dead event replayed to a receiver that now answers becomes delivered', async (t) => {
  let answer = 410
  const receiver = await startReceiver(t, () => ({ status: answer }))
  const { app } = await buildAdmin(t, { destinations: { all: { url: receiver.url } } })
  const id = await ingest(app, 1)
  await app.hookgate.dispatcher.runOnce()
  t.equal((await admin(app, 'GET', `/admin/events/${id}`)).body.status, 'dead', '410 made it dead')

  answer = 200
  await admin(app, 'POST', `/admin/events/${id}/replay`)
  await app.hookgate.dispatcher.runOnce()
  const after = (await admin(app, 'GET', `/admin/events/${id}`)).body
  t.same(after.deliveries.map((d: { status: string }) => d.status), ['dead', 'delivered'], 'the dead attempt is kept')
  t.equal(after.status, 'delivered', 'the newer delivery to the same destination speaks for it')
})

t.test('replays to one named destination, even one whose filters would not take it', async (t) => {
  const receiver = await startReceiver(t)
  const { app } = await buildAdmin(t, { destinations: { sessions: { url: receiver.url, events: ['session.*'] } } })
  const id = await ingest(app, 1)
  const replay = await admin(app, 'POST', `/admin/events/${id}/replay`, { destination: 'sessions' })
  t.equal(replay.status, 202)
  t.match(replay.body.deliveries, [{ destination: 'sessions' }])
})

t.test('refuses a replay of an unknown event, to an unknown destination, or with nowhere to go', async (t) => {
  const receiver = await startReceiver(t)
  const { app } = await buildAdmin(t, { destinations: { sessions: { url: receiver.url, events: ['session.*'] } } })
  const id = await ingest(app, 1)
  const unknownEvent = await admin(app, 'POST', '/admin/events/evt_0000000000000000000000/replay', {})
  t.match(unknownEvent, { status: 404, body: { code: 'HG_ERR_EVENT_NOT_FOUND' } })
  const unknownDestination = await admin(app, 'POST', `/admin/events/${id}/replay`, { destination: 'nowhere' })
  t.match(unknownDestination, { status: 404, body: { code: 'HG_ERR_DESTINATION_UNKNOWN', message: "No destination named 'nowhere' in the configuration" } })
  const nowhere = await admin(app, 'POST', `/admin/events/${id}/replay`, {})
  t.match(nowhere, { status: 409, body: { code: 'HG_ERR_NO_MATCHING_DESTINATION' } })
  const badBody = await admin(app, 'POST', `/admin/events/${id}/replay`, { destination: '' })
  t.match(badBody, { status: 400, body: { message: /body\/destination must NOT have fewer than 1 characters/ } })
  const extra = await admin(app, 'POST', `/admin/events/${id}/replay`, { destinations: ['sessions'] })
  t.match(extra, { status: 400, body: { message: /body\/destinations is not a known field/ } })
})
