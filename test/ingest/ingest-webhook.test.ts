// The ingest core without HTTP: ingestWebhook on a gateway's real parts (its
// store on a SQLite file, its dispatcher, routing and an ingest budget).
// What the HTTP adapter adds (status codes, Retry-After, the raw body parser)
// is tested through app.inject() in webhooks.test.ts.
import type { FastifyInstance } from 'fastify'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { recordEventsReached } from '../fixtures/writes-reached.js'
import { signChaindoc, signChaindocLegacy, signClerk, signSlack } from '../../providers/sign.js'
import { createIngestBudget, PER_WEBHOOK_BYTES, type IngestBudget } from '../../src/ingest/budget.js'
import { ingestWebhook, type IngestDeps, type IngestOutcome, type WebhookRequest } from '../../src/ingest/ingest-webhook.js'
import { createRouter } from '../../src/outbox/routing.js'
import { startReceiver } from '../fixtures/receiver.js'
import { build, CHAINDOC_SECRET, CLERK_SECRET, sqlite, TestClock, sqliteOnly } from '../helper.js'
import { holdWriteLock } from '../lock-holder.js'

const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5'

function depsOf (app: FastifyInstance, budget: IngestBudget = createIngestBudget(app.hookgate.config.server.ingestMaxBytesInFlight)): IngestDeps {
  const { config, clock, store, dispatcher } = app.hookgate
  return { config, clock, store, route: createRouter(config.destinations), outbox: dispatcher, budget }
}

function clerkWebhook (clock: TestClock, { id = 'msg_core_1', secret = CLERK_SECRET, source = 'clerk' } = {}): WebhookRequest & { body: Buffer } {
  const body = Buffer.from(JSON.stringify({ data: { id: 'user_core' }, object: 'event', timestamp: clock.now(), type: 'user.created' }))
  return { source, method: 'POST', headers: signClerk({ id, timestampSec: Math.floor(clock.now() / 1000), body, secret }), body }
}

/** Every stored event, read through the store. */
async function events (app: FastifyInstance) {
  return (await app.hookgate.store.listEvents({ limit: 100 })).items
}

/** ingestWebhook, and every outcome its answer callback was told. */
async function ingest (deps: IngestDeps, request: WebhookRequest) {
  const answered: IngestOutcome[] = []
  const outcome = await ingestWebhook(deps, request, (o) => answered.push(o))
  return { outcome, answered }
}

t.test('stores a verified webhook with its exact bytes and kept headers, and tells the answer once', async (t) => {
  const { app, clock } = await build(t)
  const request = clerkWebhook(clock)
  const { outcome, answered } = await ingest(depsOf(app), request)
  t.match(outcome, { kind: 'stored', id: /^evt_/, event: { type: 'user.created', dedupKey: 'msg_core_1' } })
  t.same(answered, [outcome])
  const stored = await app.hookgate.store.getEvent(outcome.kind === 'stored' ? outcome.id : '')
  t.match(stored?.event, { source: 'clerk', provider: 'clerk', dedup_key: 'msg_core_1', subject: 'user_core', received_at: clock.now() })
  t.same(Buffer.from(stored!.event.body), request.body, 'byte for byte')
  t.same(Object.keys(JSON.parse(stored!.event.headers)).sort(), ['svix-id', 'svix-signature', 'svix-timestamp'])
})

t.test('a second delivery of the same message is a duplicate naming the first id', async (t) => {
  const { app, clock } = await build(t)
  const deps = depsOf(app)
  const first = await ingestWebhook(deps, clerkWebhook(clock))
  clock.advance(5000)
  const second = await ingestWebhook(deps, clerkWebhook(clock))
  t.equal(first.kind, 'stored')
  t.same(second, { kind: 'duplicate', id: first.kind === 'stored' ? first.id : '', event: { type: 'user.created', dedupKey: 'msg_core_1' } })
  t.equal((await events(app)).length, 1)
})

t.test('the same message 25 times at once is stored once; all name that event', async (t) => {
  const { app, clock } = await build(t)
  const deps = depsOf(app)
  const outcomes = await Promise.all(Array.from({ length: 25 }, () => ingestWebhook(deps, clerkWebhook(clock))))
  t.equal(outcomes.filter((o) => o.kind === 'stored').length, 1, 'one of them is the original')
  t.equal(outcomes.filter((o) => o.kind === 'duplicate').length, 24)
  t.equal(new Set(outcomes.map((o) => 'id' in o ? o.id : null)).size, 1)
  t.equal((await events(app)).length, 1)
})

t.test('distinct messages at once are each stored under their own id', async (t) => {
  const { app, clock } = await build(t)
  const deps = depsOf(app)
  const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => ingestWebhook(deps, clerkWebhook(clock, { id: `msg_${i}` }))))
  t.ok(outcomes.every((o) => o.kind === 'stored'))
  t.equal((await events(app)).length, 40)
})

t.test('two sources of one provider are kept apart, each with its own secret', async (t) => {
  const staging = 'whsec_' + Buffer.alloc(32, 9).toString('base64')
  const { app, clock } = await build(t, { config: { sources: { 'clerk-prod': { provider: 'clerk', secret: CLERK_SECRET }, 'clerk-staging': { provider: 'clerk', secret: staging } } } })
  const deps = depsOf(app)
  t.match(await ingestWebhook(deps, clerkWebhook(clock, { source: 'clerk-prod' })), { kind: 'stored' })
  t.match(await ingestWebhook(deps, clerkWebhook(clock, { source: 'clerk-staging' })), { kind: 'refused', error: { code: 'HG_ERR_SIGNATURE_INVALID' } }, "the other source's secret")
  t.match(await ingestWebhook(deps, clerkWebhook(clock, { source: 'clerk-staging', secret: staging })), { kind: 'stored' }, 'the same message id is a separate event per source')
  t.same((await events(app)).map((e) => e.source).sort(), ['clerk-prod', 'clerk-staging'])
})

t.test('Chaindoc: both signing schemes are stored, the legacy one keyed on its digest', async (t) => {
  const at = '2026-04-03T10:00:00.000Z'
  const { app } = await build(t, { clock: new TestClock(Date.parse(at)) })
  const deps = depsOf(app)
  const envelope = Buffer.from('{"id":"2bcb5d52-7d64-43c6-b715-0a72f20d9c2f","type":"contract.created","createdAt":"2026-04-03T10:00:00.000Z","data":{"contractId":"7c2807a3-3ad4-4423-9ebc-0281bff2660b","status":"draft"}}')
  t.match(await ingestWebhook(deps, { source: 'chaindoc', method: 'POST', headers: signChaindoc({ timestampIso: at, body: envelope, secret: CHAINDOC_SECRET }), body: envelope }), {
    kind: 'stored', event: { type: 'contract.created', dedupKey: '2bcb5d52-7d64-43c6-b715-0a72f20d9c2f' }
  })
  const legacy = Buffer.from('{"event":"document.signed","timestamp":"2026-01-01T00:00:00.000Z","data":{"documentId":"doc_123"}}')
  t.match(await ingestWebhook(deps, { source: 'chaindoc', method: 'POST', headers: signChaindocLegacy({ body: legacy, secret: CHAINDOC_SECRET, event: 'document.signed' }), body: legacy }), {
    kind: 'stored', event: { type: 'document.signed', dedupKey: /^sha256:[0-9a-f]{64}$/ }
  })
  t.same((await events(app)).map((e) => [e.type, e.subject]).sort(), [['contract.created', '7c2807a3-3ad4-4423-9ebc-0281bff2660b'], ['document.signed', 'doc_123']])
})

t.test("Chaindoc's re-serialised legacy fallback is off by default; asked for, the signed string is stored and forwarded", async (t) => {
  const signed = '{"event":"document.signed","documentId":"A"}'
  const received = Buffer.from('{"event":"document.signed","documentId":"B","documentId":"A"}') // re-serialises to `signed`; a first-key parser reads B
  const request = { source: 'chaindoc', method: 'POST', headers: signChaindocLegacy({ body: signed, secret: CHAINDOC_SECRET, event: 'document.signed' }), body: received }
  const plain = await build(t)
  t.match(await ingestWebhook(depsOf(plain.app), request), { kind: 'refused', error: { code: 'HG_ERR_SIGNATURE_INVALID' } })

  const receiver = await startReceiver(t)
  const { app } = await build(t, { config: {
    sources: { chaindoc: { provider: 'chaindoc', secret: CHAINDOC_SECRET, options: { legacyReserialized: true } } },
    destinations: { svc: { url: receiver.url, format: 'raw' } }
  } })
  const outcome = await ingestWebhook(depsOf(app), request)
  const stored = await app.hookgate.store.getEvent(outcome.kind === 'stored' ? outcome.id : '')
  t.equal(Buffer.from(stored!.event.body).toString(), signed, 'stored: the signed string')
  t.equal(stored!.event.subject, 'A')
  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests[0]?.body.toString(), signed, 'forwarded: the signed string, not the received bytes')
})

t.test('refusals are outcomes with their gateway error, and store nothing', async (t) => {
  const { app, clock, config } = await build(t)
  const budget = createIngestBudget(config.server.ingestMaxBytesInFlight)
  const deps = depsOf(app, budget)
  const unknown = await ingest(deps, clerkWebhook(clock, { source: 'stripe' }))
  t.match(unknown.outcome, { kind: 'refused', error: { code: 'HG_ERR_SOURCE_UNKNOWN', statusCode: 404, message: "Unknown source 'stripe'" } })
  t.same(unknown.answered, [unknown.outcome])
  const forged = await ingestWebhook(deps, clerkWebhook(clock, { secret: 'whsec_' + Buffer.alloc(24, 7).toString('base64') }))
  t.match(forged, { kind: 'refused', error: { code: 'HG_ERR_SIGNATURE_INVALID', statusCode: 401 } })
  t.notOk('event' in forged, 'an unverified request names no event')
  const stale = clerkWebhook(clock)
  clock.advance(301_000)
  t.match(await ingestWebhook(deps, stale), { kind: 'refused', error: { code: 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE' } })
  t.equal((await events(app)).length, 0)
  t.equal(budget.inFlightBytes, 0, 'no refusal holds budget')
})

t.test('a method that is no webhook of the source is not-found, before anything is verified', async (t) => {
  const { app, clock } = await build(t)
  const deps = depsOf(app)
  for (const method of ['HEAD', 'GET', 'PUT']) t.same(await ingestWebhook(deps, { ...clerkWebhook(clock), method }), { kind: 'not-found' }, method)
  t.same(await ingestWebhook(deps, { ...clerkWebhook(clock), source: 'nowhere', method: 'GET' }), { kind: 'not-found' }, 'a GET to an unknown source too')
})

t.test("a verified handshake is the provider's reply, and nothing is stored", async (t) => {
  const clock = new TestClock(1_531_420_618_000)
  const { app } = await build(t, { clock, config: { sources: { slack: { provider: 'slack', secret: SLACK_SECRET } } } })
  const body = Buffer.from('{"token":"x","challenge":"abc123","type":"url_verification"}')
  const headers = signSlack({ timestampSec: clock.now() / 1000, body, secret: SLACK_SECRET })
  t.same(await ingestWebhook(depsOf(app), { source: 'slack', method: 'POST', headers, body }), {
    kind: 'handshake',
    reply: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"challenge":"abc123"}' }
  })
  const forged = signSlack({ timestampSec: clock.now() / 1000, body, secret: 'not-the-secret' })
  t.match(await ingestWebhook(depsOf(app), { source: 'slack', method: 'POST', headers: forged, body }), { kind: 'refused', error: { code: 'HG_ERR_SIGNATURE_INVALID' } }, 'only once verified')
  t.equal((await events(app)).length, 0)
})

t.test('past the budget a verified webhook is refused HG_ERR_OVERLOADED, naming the event, and stored nothing', async (t) => {
  const { app, clock } = await build(t)
  const budget = createIngestBudget(1024)
  t.ok(budget.take(0), 'an empty budget takes one webhook')
  const outcome = await ingestWebhook(depsOf(app, budget), clerkWebhook(clock))
  t.match(outcome, { kind: 'refused', error: { code: 'HG_ERR_OVERLOADED', statusCode: 503 }, event: { dedupKey: 'msg_core_1' } })
  t.equal(budget.inFlightBytes, PER_WEBHOOK_BYTES, 'only what was already held')
  t.equal((await events(app)).length, 0)
})

t.test('a store that cannot write refuses with HG_ERR_STORAGE_UNAVAILABLE; its own error is the cause, for the log', async (t) => {
  if (sqliteOnly(t)) return
  const { app, clock, config } = await build(t)
  const budget = createIngestBudget(config.server.ingestMaxBytesInFlight)
  await sqlite(app).writer.close()
  const outcome = await ingestWebhook(depsOf(app, budget), clerkWebhook(clock))
  t.match(outcome, { kind: 'refused', error: { code: 'HG_ERR_STORAGE_UNAVAILABLE', statusCode: 503 }, cause: { code: 'HG_ERR_WRITER_CLOSED' } })
  t.notMatch(outcome.kind === 'refused' ? outcome.error.message : '', /writer|SQLITE/i, 'the error says what to do, not how the store is built')
  t.equal(budget.inFlightBytes, 0, 'the budget is given back once the write has failed')
})

t.test('a write not committed by server.ingestTimeoutMs is refused, and may still land: the retry is then a duplicate', async (t) => {
  const firstWrite = recordEventsReached(1)
  const { app, clock, config } = await build(t, { wrapStore: firstWrite.wrapStore, config: { server: { ingestTimeoutMs: 200 } } })
  const deps = depsOf(app)
  const release = await holdWriteLock(t, config.storage)
  const answer = ingestWebhook(deps, clerkWebhook(clock))
  await firstWrite.reached
  // The writer sends a batch on the setImmediate its first queued write scheduled: the write is then under way, not merely queued.
  await new Promise((resolve) => setImmediate(resolve))
  clock.advance(200)
  // The deadline's own cause, not SQLITE_BUSY: answered when the clock reaches 200 ms, while the write still waits on the lock.
  const first = await answer
  t.match(first, { kind: 'refused', error: { code: 'HG_ERR_STORAGE_UNAVAILABLE' }, cause: { message: 'not committed within server.ingestTimeoutMs (200 ms)' } })
  await release()
  // The writer keeps its order: the retry commits after the first write, which was already being committed.
  t.match(await ingestWebhook(deps, clerkWebhook(clock)), { kind: 'duplicate' })
  t.equal((await events(app)).length, 1)
})

t.test('with the loop running, deliveries are inserted leased and handed to the dispatcher after the answer', async (t) => {
  if (sqliteOnly(t)) return
  const receiver = await startReceiver(t)
  const { app, clock } = await build(t, { startDispatcher: true, config: { destinations: { svc: { url: receiver.url } } } })
  const seen: Array<Record<string, unknown>> = []
  const outcome = await ingestWebhook(depsOf(app), clerkWebhook(clock), () => {
    // The adapter's own connection: the lease's owner is no part of the store's reads.
    seen.push(...sqlite(app).db.prepare('SELECT destination, attempts, locked_by FROM deliveries').all() as Array<Record<string, unknown>>)
    t.equal(app.hookgate.dispatcher.inFlight, 0, 'the dispatcher hears of it only after the sender is answered')
  })
  t.equal(outcome.kind, 'stored')
  t.equal(app.hookgate.dispatcher.inFlight, 1, 'and starts it at once')
  t.same(seen, [{ destination: 'svc', attempts: 1, locked_by: app.hookgate.dispatcher.owner }], 'committed already leased, first attempt counted')
  await receiver.received(1)
  t.equal(JSON.parse(receiver.requests[0]!.body.toString()).id, outcome.kind === 'stored' ? outcome.id : '', 'the event, sent under the lease')
})

t.test('the core imports no web framework: route.ts is the only ingest file that knows Fastify', async (t) => {
  const imports = (file: string) => [...readFileSync(new URL(`../../src/ingest/${file}`, import.meta.url), 'utf8').matchAll(/^import\s[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1])
  t.notOk(imports('ingest-webhook.ts').includes('fastify'), 'ingest-webhook.ts')
  t.ok(imports('route.ts').includes('fastify'), 'route.ts adapts it')
})
