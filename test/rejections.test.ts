import t from 'tap'
import { signChaindoc, signClerk } from '../providers/sign.js'
import { REJECTION_BODY_BYTES, REJECTIONS_BURST, REJECTIONS_PER_SECOND } from '../src/ingest/rejections.js'
import { admin, buildAdmin, metric, rejectionsWritten } from './fixtures/admin.js'
import { clerkBody, ingest } from './fixtures/events.js'
import { CLERK_SECRET, sqlite } from './helper.js'
import type { FastifyInstance } from 'fastify'

const WRONG_SECRET = 'whsec_' + Buffer.alloc(24, 7).toString('base64')

function signed (app: FastifyInstance, opts: { id?: string, body?: string | Buffer, secret?: string } = {}) {
  const body = opts.body ?? clerkBody('user_1')
  const headers = signClerk({ id: opts.id ?? 'msg_1', timestampSec: Math.floor(app.hookgate.clock.now() / 1000), body: typeof body === 'string' ? body : 'x', secret: opts.secret ?? CLERK_SECRET })
  return { method: 'POST' as const, url: '/webhooks/clerk', headers, payload: body }
}

async function rejections (app: FastifyInstance, query = '') {
  await rejectionsWritten(app)
  return (await admin(app, 'GET', `/admin/rejections${query}`)).body
}


t.test('keeps a request refused for its signature with the reason, its headers and its body', async (t) => {
  const { app, clock } = await buildAdmin(t)
  const request = signed(app, { secret: WRONG_SECRET })
  const res = await app.inject({ ...request, headers: { ...request.headers, cookie: 'sid=1', 'proxy-authorization': 'Basic x' } })
  t.equal(res.statusCode, 401)
  const { items } = await rejections(app)
  t.equal(items.length, 1)
  t.match(items[0], {
    id: Number,
    receivedAt: new Date(clock.now()).toISOString(),
    source: 'clerk',
    reason: 'HG_ERR_SIGNATURE_INVALID',
    statusCode: 401,
    message: 'No matching signature',
    remoteAddr: '127.0.0.1',
    body: request.payload,
    bodyEncoding: 'utf8',
    bodyBytes: Buffer.byteLength(request.payload),
    bodyTruncated: false
  })
  t.match(items[0].headers, { 'svix-id': 'msg_1', 'svix-signature': request.headers['svix-signature'], 'svix-timestamp': String(Math.floor(clock.now() / 1000)) }, 'the signature values, to compare by hand')
  t.notOk('cookie' in items[0].headers || 'proxy-authorization' in items[0].headers, 'never credentials')
})

t.test('keeps the first 64 KiB of a large refused body', async (t) => {
  const { app } = await buildAdmin(t)
  const body = JSON.stringify({ type: 'user.created', pad: 'x'.repeat(100 * 1024) })
  await app.inject({ method: 'POST', url: '/webhooks/clerk', headers: { 'content-type': 'application/json' }, payload: body })
  const [kept] = (await rejections(app)).items
  t.match(kept, { reason: 'HG_ERR_SIGNATURE_MISSING', bodyBytes: body.length, bodyTruncated: true })
  t.equal(kept.body, body.slice(0, REJECTION_BODY_BYTES))
})

t.test('keeps a body over the size limit as a 413 with its declared size and no body', async (t) => {
  const { app } = await buildAdmin(t, { config: { server: { host: '127.0.0.1', port: 0, bodyLimitBytes: 1024 } } })
  const body = JSON.stringify({ type: 'user.created', pad: 'x'.repeat(2000) })
  const res = await app.inject(signed(app, { body }))
  t.equal(res.statusCode, 413)
  t.match((await rejections(app)).items, [{ reason: 'HG_ERR_BODY_TOO_LARGE', statusCode: 413, message: 'Body is larger than 1024 bytes', body: null, bodyBytes: body.length, bodyTruncated: false }])
})

t.test('keeps refusals for timestamp, shape and unknown source, filterable by reason and source', async (t) => {
  const { app, clock } = await buildAdmin(t)
  const stale = signed(app, { id: 'msg_stale' })
  clock.advance(10 * 60_000)
  await app.inject(stale)
  await app.inject(signed(app, { id: 'msg_shape', body: 'not json' }))
  await app.inject({ ...signed(app), url: '/webhooks/stripe' })
  const all = await rejections(app)
  t.same(all.items.map((r: { reason: string }) => r.reason), ['HG_ERR_SOURCE_UNKNOWN', 'HG_ERR_PAYLOAD_INVALID', 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE'])
  t.same((await rejections(app, '?reason=HG_ERR_PAYLOAD_INVALID')).items.map((r: { body: string }) => r.body), ['not json'])
  t.match((await rejections(app, '?source=stripe')).items, [{ source: 'stripe', statusCode: 404, message: "Unknown source 'stripe'" }])
  const paged = await rejections(app, '?limit=2')
  t.equal(paged.items.length, 2)
  t.same((await rejections(app, `?limit=2&cursor=${paged.nextCursor}`)).items.map((r: { reason: string }) => r.reason), ['HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE'])
  t.same((await rejections(app, `?since=${new Date(clock.now() + 1).toISOString()}`)).items, [])
})

t.test('shows a refused body that is not UTF-8 as base64', async (t) => {
  const { app } = await buildAdmin(t)
  const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41])
  await app.inject({ method: 'POST', url: '/webhooks/clerk', headers: { 'content-type': 'application/octet-stream' }, payload: bytes })
  t.match((await rejections(app)).items, [{ body: bytes.toString('base64'), bodyEncoding: 'base64', bodyBytes: 4 }])
})

t.test('refuses bad rejection filters and callers without the token', async (t) => {
  const { app } = await buildAdmin(t)
  t.match(await admin(app, 'GET', '/admin/rejections?reason=signature'), { status: 400, body: { message: /querystring\/reason must match pattern/ } })
  t.match(await admin(app, 'GET', '/admin/rejections?limit=101'), { status: 400, body: { message: /querystring\/limit must be <= 100/ } })
  t.equal((await app.inject('/admin/rejections')).statusCode, 401)
})

t.test('a flood of bad requests stores at most the sampling budget, and genuine webhooks still go through', async (t) => {
  const { app, clock } = await buildAdmin(t)
  const flood = Array.from({ length: 300 }, (_, i) => app.inject(signed(app, { id: `msg_bad_${i}`, secret: WRONG_SECRET })))
  const genuine = Array.from({ length: 20 }, (_, i) => ingest(app, `good_${i}`))
  const answers = await Promise.all(flood)
  t.ok(answers.every((a) => a.statusCode === 401))
  t.equal((await Promise.all(genuine)).length, 20, 'every genuine webhook accepted amid the flood')

  t.equal((await rejections(app, '?limit=100')).items.length, REJECTIONS_BURST, 'a burst is kept, the rest only counted')
  t.equal(await metric(app, 'hookgate_rejections_skipped_total{why="rate"}'), 300 - REJECTIONS_BURST)
  t.equal(await metric(app, 'hookgate_rejections_stored_total'), REJECTIONS_BURST)
  t.equal(await metric(app, 'hookgate_webhooks_received_total{source="clerk",outcome="HG_ERR_SIGNATURE_INVALID"}'), 300, 'every refusal is counted')

  clock.advance(1000)
  await Promise.all(Array.from({ length: 50 }, (_, i) => app.inject(signed(app, { id: `msg_later_${i}`, secret: WRONG_SECRET }))))
  t.equal((await rejections(app, '?limit=100')).items.length, REJECTIONS_BURST + REJECTIONS_PER_SECOND, 'the budget refills with time')
})

t.test('never holds more than rejectionMaxRows rows, dropping the oldest first', async (t) => {
  const { app, clock } = await buildAdmin(t, { config: { storage: { rejectionMaxRows: 5 } } })
  for (let i = 0; i < 12; i++) {
    await app.inject({ ...signed(app), url: `/webhooks/nope${i}` })
    clock.advance(1000)
  }
  const kept = (await rejections(app)).items.map((r: { source: string }) => r.source)
  t.same(kept, ['nope11', 'nope10', 'nope9', 'nope8', 'nope7'])
})

t.test('keeps none when rejectionMaxRows is 0, and still counts them', async (t) => {
  const { app } = await buildAdmin(t, { config: { storage: { rejectionMaxRows: 0 } } })
  await app.inject({ ...signed(app), url: '/webhooks/nope' })
  t.same((await rejections(app)).items, [])
  t.equal(await metric(app, 'hookgate_webhooks_received_total{source="(unknown)",outcome="HG_ERR_SOURCE_UNKNOWN"}'), 1)
})

t.test('keeps only the headers the scheme names plus content type and length, user agent and forwarded-for', async (t) => {
  const { app, clock } = await buildAdmin(t)
  const extra = {
    'x-api-key': 'key-abc', cookie: 'sid=1', authorization: 'Bearer elsewhere', 'proxy-authorization': 'Basic x', 'x-custom-token': 'tok',
    'user-agent': 'Svix-Webhooks/1.0', 'x-forwarded-for': '203.0.113.7'
  }
  const request = signed(app, { secret: WRONG_SECRET })
  await app.inject({ ...request, headers: { ...request.headers, ...extra } })
  const chaindoc = signChaindoc({ timestampIso: new Date(clock.now()).toISOString(), body: '{}', secret: 'wrong-chaindoc-secret' })
  await app.inject({ method: 'POST', url: '/webhooks/chaindoc', headers: { ...chaindoc, ...extra, 'svix-id': 'msg_x' }, payload: '{}' })
  await app.inject({ method: 'POST', url: '/webhooks/stripe', headers: { ...request.headers, ...extra }, payload: request.payload })
  const byPath = Object.fromEntries((await rejections(app)).items.map((r: { source: string, headers: Record<string, string> }) => [r.source, Object.keys(r.headers).sort()]))
  const generic = ['content-length', 'content-type', 'user-agent', 'x-forwarded-for']
  t.same(byPath.clerk, [...generic, 'svix-id', 'svix-signature', 'svix-timestamp'].sort())
  t.same(byPath.chaindoc, [...generic, 'x-chaindoc-signature', 'x-chaindoc-timestamp'].sort(), 'its own scheme, not another provider\'s')
  t.same(byPath.stripe, generic, 'an unknown source has no scheme: the generic ones only')
  const all = JSON.stringify((await rejections(app)).items)
  for (const value of ['key-abc', 'sid=1', 'elsewhere', 'Basic x', '"tok"']) t.notOk(all.includes(value), `${value} is not stored`)
})

t.test('never holds more than rejectionMaxBytes, dropping the oldest first, and keeps its running total exact', async (t) => {
  const maxBytes = 1024 * 1024
  const { app, clock } = await buildAdmin(t, { config: { storage: { rejectionMaxBytes: maxBytes } } })
  const body = JSON.stringify({ type: 'user.created', pad: 'x'.repeat(100 * 1024) })
  for (let i = 0; i < 40; i++) {
    await app.inject({ method: 'POST', url: '/webhooks/clerk', headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.0.${i}` }, payload: body })
    clock.advance(1000)
  }
  await rejectionsWritten(app)
  const db = sqlite(app).db
  const { rows, bytes, oldest, newest } = db.prepare(`SELECT count(*) AS rows, SUM(length(body) + octet_length(headers) + octet_length(message)) AS bytes,
    MIN(id) AS oldest, MAX(id) AS newest FROM rejections`).get() as { rows: number, bytes: number, oldest: number, newest: number }
  t.ok(bytes <= maxBytes, `${bytes} bytes kept, within ${maxBytes}`)
  t.ok(bytes > maxBytes - 70 * 1024, 'no more dropped than needed: one more row would not fit')
  t.equal(rows, Math.floor(maxBytes / (bytes / rows)))
  t.equal(newest - oldest + 1, rows, 'the newest, contiguous: the oldest went first')
  t.equal(newest, 40)
  const total = () => Number((db.prepare("SELECT value FROM meta WHERE key = 'rejection_bytes'").get() as { value: string }).value)
  t.equal(total(), bytes, 'the running total is the table\'s')
  t.equal(await app.hookgate.store.purgeRejections({ before: clock.now() - 5000, limit: 1000 }), rows - 5, 'retention purges the older ones')
  const after = (db.prepare('SELECT SUM(length(body) + octet_length(headers) + octet_length(message)) AS bytes FROM rejections').get() as { bytes: number }).bytes
  t.equal(total(), after, 'and the total follows')
})

t.test('each source has its own budget: a flood at one does not hide another source\'s failures', async (t) => {
  const { app, clock } = await buildAdmin(t)
  await Promise.all(Array.from({ length: 200 }, (_, i) => app.inject(signed(app, { id: `msg_flood_${i}`, secret: WRONG_SECRET }))))
  await Promise.all(Array.from({ length: 100 }, (_, i) => app.inject({ ...signed(app), url: `/webhooks/random${i}` })))
  const chaindoc = signChaindoc({ timestampIso: new Date(clock.now()).toISOString(), body: '{"id":"x"}', secret: 'not-the-configured-secret' })
  const genuine = await app.inject({ method: 'POST', url: '/webhooks/chaindoc', headers: chaindoc, payload: '{"id":"x"}' })
  t.equal(genuine.statusCode, 401)
  const bySource = await rejections(app, '?source=chaindoc')
  t.match(bySource.items, [{ source: 'chaindoc', reason: 'HG_ERR_SIGNATURE_INVALID' }], 'the chaindoc failure is kept amid the clerk flood')
  t.equal((await rejections(app, '?source=clerk&limit=100')).items.length, REJECTIONS_BURST)
  const unknown = (await admin(app, 'GET', '/admin/rejections?limit=100')).body.items.filter((r: { source: string }) => r.source.startsWith('random'))
  t.equal(unknown.length, REJECTIONS_BURST, 'unknown names share one budget: inventing names buys no more rows')
})
