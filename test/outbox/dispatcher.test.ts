import t, { type Test } from 'tap'
import { createHmac } from 'node:crypto'
import { HTTP, type CloudEvent } from 'cloudevents'
import { Webhook } from 'svix'
import { build, CLERK_SECRET, TestClock, verifierWallClock } from '../helper.js'
import { attempts, deliveries, eventStatus, ingest, storedEvents } from '../fixtures/events.js'
import { startReceiver, type Script } from '../fixtures/receiver.js'

const S = 1000
const M = 60 * S
const SIGNING_SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64')

/** A gateway with one destination `hooks` pointing at a scripted receiver. */
async function setup (t: Test, script: Script, destination: Record<string, unknown> = {}, clock = new TestClock()) {
  const receiver = await startReceiver(t, script)
  const { app } = await build(t, { clock, config: { destinations: { hooks: { url: receiver.url, ...destination } } } })
  return { app, clock, receiver, dispatcher: app.hookgate.dispatcher }
}

t.test('delivers an accepted event at once as a CloudEvent the SDK accepts', async (t) => {
  const { app, clock, receiver, dispatcher } = await setup(t, [])
  const id = await ingest(app, 1)
  t.equal(await eventStatus(app, id), 'pending')
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 })
  const [request] = receiver.requests
  const event = HTTP.toEvent({ headers: request!.headers, body: request!.body.toString() }) as CloudEvent<{ data: { id: string } }>
  t.ok(event.validate())
  t.match(event, { id, source: '/sources/clerk', type: 'user.created', subject: 'user_1', provider: 'clerk', dedupkey: 'msg_1', datacontenttype: 'application/json' })
  t.equal(event.data?.data.id, 'user_1')
  t.equal(await eventStatus(app, id), 'delivered')
  t.match(await deliveries(app), [{ status: 'delivered', attempts: 1, locked_at: null, locked_by: null, last_status: 200, delivered_at: clock.now() }])
  t.match(await attempts(app), [{ attempt: 1, started_at: clock.now(), duration_ms: Number, status_code: 200, error: null, response_body: '' }])
})

t.test('retries a receiver that answers 500 twice, on the schedule, then delivers', async (t) => {
  const { app, clock, receiver, dispatcher } = await setup(t, [{ status: 500, body: 'oops' }, { status: 503 }, { status: 200, body: 'ok' }])
  const id = await ingest(app, 1)
  const t0 = clock.now()
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 })
  t.match(await deliveries(app), [{ status: 'pending', attempts: 1, run_at: t0 + 5 * S, last_status: 500, last_error: 'HTTP 500' }])
  t.same(await dispatcher.runOnce(), { claimed: 0, settled: 0 }, 'nothing due before the 5 s step')
  clock.advance(5 * S)
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 })
  t.match(await deliveries(app), [{ status: 'pending', attempts: 2, run_at: t0 + 5 * S + 5 * M, last_status: 503 }])
  clock.advance(5 * M - 1)
  t.same(await dispatcher.runOnce(), { claimed: 0, settled: 0 }, 'not a millisecond early')
  clock.advance(1)
  await dispatcher.runOnce()
  t.equal(receiver.requests.length, 3)
  t.equal(await eventStatus(app, id), 'delivered')
  t.match(await deliveries(app), [{ status: 'delivered', attempts: 3, last_status: 200, last_error: null }])
  t.match(await attempts(app), [
    { attempt: 1, status_code: 500, error: 'HTTP 500', response_body: 'oops' },
    { attempt: 2, status_code: 503, error: 'HTTP 503' },
    { attempt: 3, status_code: 200, error: null, response_body: 'ok' }
  ])
  const ids = receiver.requests.map((r) => JSON.parse(r.body.toString()).id)
  t.same(ids, [id, id, id], 'the same event id on every attempt')
})

t.test('waits as long as a 429 Retry-After asks', async (t) => {
  const { app, clock, dispatcher } = await setup(t, [{ status: 429, headers: { 'retry-after': '60' } }])
  await ingest(app, 1)
  const t0 = clock.now()
  await dispatcher.runOnce()
  t.match(await deliveries(app), [{ run_at: t0 + 60 * S, last_status: 429 }])
  clock.advance(5 * S)
  t.same(await dispatcher.runOnce(), { claimed: 0, settled: 0 }, 'the 5 s step is not enough')
  clock.advance(55 * S)
  t.same(await dispatcher.runOnce(), { claimed: 1, settled: 1 })
  t.match(await deliveries(app), [{ status: 'delivered' }])
})

t.test('gives up on a receiver that hangs past the timeout and retries it', async (t) => {
  const { app, clock, dispatcher } = await setup(t, ['hang'], { timeoutMs: 200 })
  await ingest(app, 1)
  await dispatcher.runOnce()
  t.match(await deliveries(app), [{ status: 'pending', attempts: 1, locked_at: null, last_status: null, last_error: /^timeout/, run_at: clock.now() + 5 * S }])
  t.match(await attempts(app), [{ status_code: null, error: /^timeout/, response_body: null }])
  clock.advance(5 * S)
  await dispatcher.runOnce()
  t.match(await deliveries(app), [{ status: 'delivered', attempts: 2 }])
})

t.test('retries a receiver that resets the connection', async (t) => {
  const { app, clock, dispatcher } = await setup(t, ['reset'])
  await ingest(app, 1)
  await dispatcher.runOnce()
  t.match(await deliveries(app), [{ status: 'pending', last_status: null, last_error: /ECONNRESET|UND_ERR_SOCKET/ }])
  clock.advance(5 * S)
  await dispatcher.runOnce()
  t.match(await deliveries(app), [{ status: 'delivered' }])
})

t.test('stops at 410 Gone: dead, kept, with the reason and the answer', async (t) => {
  const { app, clock, receiver, dispatcher } = await setup(t, [{ status: 410, body: 'endpoint removed' }])
  const id = await ingest(app, 1)
  await dispatcher.runOnce()
  t.match(await deliveries(app), [{ status: 'dead', attempts: 1, last_status: 410, last_error: /410 Gone/, locked_at: null }])
  t.match(await attempts(app), [{ status_code: 410, response_body: 'endpoint removed' }])
  t.equal(await eventStatus(app, id), 'dead')
  clock.advance(24 * 60 * M)
  t.same(await dispatcher.runOnce(), { claimed: 0, settled: 0 }, 'never tried again by itself')
  t.equal(receiver.requests.length, 1)
})

t.test('treats other 4xx as final and 3xx as a failure to retry', async (t) => {
  const { app, dispatcher } = await setup(t, (req) => JSON.parse(req.body.toString()).subject === 'user_1'
    ? { status: 422 }
    : { status: 302, headers: { location: 'http://127.0.0.1:1/' } })
  await ingest(app, 1)
  await ingest(app, 2)
  await dispatcher.runOnce()
  t.match(await deliveries(app), [{ status: 'dead', last_status: 422 }, { status: 'pending', last_status: 302, last_error: /redirects are not followed/ }])
})

t.test('is dead after the last attempt of its schedule, and stays visible', async (t) => {
  const { app, clock, receiver, dispatcher } = await setup(t, () => ({ status: 500 }), { retry: { schedule: ['0s', '1s', '2s'] } })
  const id = await ingest(app, 1)
  for (let i = 0; i < 3; i++) {
    await dispatcher.runOnce()
    clock.advance(2 * S)
  }
  t.equal(receiver.requests.length, 3)
  t.match(await deliveries(app), [{ status: 'dead', attempts: 3, last_error: 'HTTP 500 (attempt 3, the last)' }])
  t.equal((await attempts(app)).length, 3)
  t.equal(await eventStatus(app, id), 'dead')
})

t.test('signs with Standard Webhooks headers that svix verifies, fresh on each attempt', async (t) => {
  const clock = new TestClock(verifierWallClock())
  const { app, receiver, dispatcher } = await setup(t, [{ status: 500 }], { format: 'raw', signingSecret: SIGNING_SECRET }, clock)
  const id = await ingest(app, 1)
  await dispatcher.runOnce()
  clock.advance(6 * S)
  await dispatcher.runOnce()
  const [first, second] = receiver.requests
  for (const request of [first!, second!]) {
    const headers = request.headers as Record<string, string>
    t.equal(headers['webhook-id'], id)
    t.doesNotThrow(() => new Webhook(SIGNING_SECRET).verify(request.body.toString(), headers), 'svix verifies the bytes received')
  }
  t.equal(Number(second!.headers['webhook-timestamp']) - Number(first!.headers['webhook-timestamp']), 6, 'a new timestamp per attempt')
  t.match(first!.headers, { 'content-type': 'application/json', 'hookgate-event-id': id, 'hookgate-source': 'clerk', 'hookgate-provider': 'clerk', 'hookgate-event-type': 'user.created' })
  t.same(JSON.parse(first!.body.toString()).data.id, 'user_1', 'raw: the provider body itself')
})

t.test('adds static headers, but never lets them replace the content type or the signature', async (t) => {
  const { app, receiver, dispatcher } = await setup(t, [], { headers: { Authorization: 'Bearer s3cret-token', 'Content-Type': 'text/plain', 'webhook-signature': 'forged' }, signingSecret: SIGNING_SECRET })
  await ingest(app, 1)
  await dispatcher.runOnce()
  const headers = receiver.requests[0]!.headers
  t.equal(headers.authorization, 'Bearer s3cret-token')
  t.equal(headers['content-type'], 'application/cloudevents+json')
  t.match(headers['webhook-signature'], /^v1,/)
  t.notOk(JSON.stringify(await attempts(app)).includes('s3cret'))
})

t.test('an event follows its deliveries: dead if one is dead, pending while one is pending', async (t) => {
  const ok = await startReceiver(t, [])
  const gone = await startReceiver(t, [{ status: 410 }])
  const failing = await startReceiver(t, [{ status: 500 }])
  const { app } = await build(t, {
    config: {
      destinations: {
        ok: { url: ok.url },
        gone: { url: gone.url, events: ['user.deleted'] },
        failing: { url: failing.url, events: ['user.updated'] }
      }
    }
  })
  const deleted = await ingest(app, 1, 'user.deleted')
  const updated = await ingest(app, 2, 'user.updated')
  const created = await ingest(app, 3, 'user.created')
  const alsoCreated = await ingest(app, 4, 'user.created')
  await app.hookgate.dispatcher.runOnce()
  t.equal(await eventStatus(app, deleted), 'dead', 'delivered to ok, dead at gone')
  t.equal(await eventStatus(app, updated), 'pending', 'delivered to ok, failing will retry')
  t.equal(await eventStatus(app, created), 'delivered')
  t.equal(await eventStatus(app, alsoCreated), 'delivered')
})

t.test('an event no destination takes is stored as none and never sent', async (t) => {
  const { app, receiver, dispatcher } = await setup(t, [], { events: ['session.*'] })
  const id = await ingest(app, 1, 'user.created')
  t.equal(await eventStatus(app, id), 'none')
  t.same(await dispatcher.runOnce(), { claimed: 0, settled: 0 })
  t.equal(receiver.requests.length, 0)
})

t.test('turns credentials in the URL into Basic auth, and never stores them', async (t) => {
  const receiver = await startReceiver(t, [])
  const url = new URL(receiver.url)
  url.username = 'hook user'
  url.password = 'p@ss'
  const { app } = await build(t, { config: { destinations: { hooks: { url: url.href } } } })
  await ingest(app, 1)
  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests[0]!.headers.authorization, 'Basic ' + Buffer.from('hook user:p@ss').toString('base64'))
  t.equal(receiver.requests[0]!.url, '/hooks')
})

t.test('a body starting with a UTF-8 byte order mark is verified on its exact bytes, stored as received, and forwarded as valid JSON', async (t) => {
  const { app, clock, receiver, dispatcher } = await setup(t, [])
  const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"type":"user.created","object":"event","data":{"id":"user_bom"}}')])
  const id = 'msg_bom'
  const ts = Math.floor(clock.now() / 1000)
  const key = Buffer.from(CLERK_SECRET.slice('whsec_'.length), 'base64')
  const sign = (bytes: Buffer) => 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.`).update(bytes).digest('base64')
  const headers = { 'svix-id': id, 'svix-timestamp': String(ts), 'content-type': 'application/json' }
  const unmarked = await app.inject({ method: 'POST', url: '/webhooks/clerk', headers: { ...headers, 'svix-signature': sign(body.subarray(3)) }, payload: body })
  t.equal(unmarked.statusCode, 401, 'a signature over the bytes without the mark does not verify them')
  const res = await app.inject({ method: 'POST', url: '/webhooks/clerk', headers: { ...headers, 'svix-signature': sign(body) }, payload: body })
  t.equal(res.statusCode, 200, res.body)
  const [row] = await storedEvents(app)
  const stored = (await app.hookgate.store.getEvent(row!.id))!.event
  t.ok(Buffer.from(stored.body).equals(body), 'stored as received')
  await dispatcher.runOnce()
  const [request] = receiver.requests
  const event = HTTP.toEvent({ headers: request!.headers, body: request!.body.toString() }) as CloudEvent<{ data: { id: string } }>
  t.ok(event.validate())
  t.equal(event.data?.data.id, 'user_bom')
})
