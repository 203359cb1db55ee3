// HTTP: what ingest answers and logs through app.inject(); the ingest logic
// itself (duplicates, sources, schemes, refusals) is tested on the core in
// ingest-webhook.test.ts.
import t from 'tap'
import { signClerk } from '../../providers/sign.js'
import type { Config } from '../../src/config/load.js'
import { build, CHAINDOC_SECRET, CLERK_SECRET, sqlite, sqliteOnly, storedRows } from '../helper.js'

const clerkBody = (id = 'user_29w83sxmDNGwOuEthce5gg56FcC', type = 'user.created') =>
  JSON.stringify({ data: { id, object: 'user', first_name: 'Zoë' }, object: 'event', timestamp: 1654012591835, type })

function clerkRequest (clock: { now(): number }, opts: { id?: string, body?: string, secret?: string, contentType?: string } = {}) {
  const body = opts.body ?? clerkBody()
  const headers = signClerk({ id: opts.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestampSec: Math.floor(clock.now() / 1000), body, secret: opts.secret ?? CLERK_SECRET })
  return { method: 'POST' as const, url: '/webhooks/clerk', headers: { ...headers, 'content-type': opts.contentType ?? 'application/json' }, payload: body }
}

const rows = (config: Config) => storedRows(config, 'SELECT * FROM events')

t.test('accepts a signed Clerk webhook and stores it with its exact bytes', async (t) => {
  const { app, clock, config } = await build(t)
  const request = clerkRequest(clock)
  const res = await app.inject(request)
  t.equal(res.statusCode, 200)
  const answer = res.json()
  t.match(answer, { id: /^evt_/, duplicate: false })
  const [row] = (await rows(config))
  t.match(row, {
    id: answer.id,
    source: 'clerk',
    provider: 'clerk',
    dedup_key: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    type: 'user.created',
    subject: 'user_29w83sxmDNGwOuEthce5gg56FcC',
    occurred_at: new Date(1654012591835).toISOString(),
    received_at: clock.now(),
    status: 'none'
  })
  t.same(Buffer.from(row!.body as Buffer), Buffer.from(request.payload), 'the body is stored byte for byte')
  t.same(Object.keys(JSON.parse(row!.headers as string)).sort(), ['svix-id', 'svix-signature', 'svix-timestamp'], 'keeps the headers needed to verify again')
})

t.test('answers a duplicate with the first id and stores nothing new', async (t) => {
  const { app, clock, config } = await build(t)
  const first = await app.inject(clerkRequest(clock))
  clock.advance(5000)
  const second = await app.inject(clerkRequest(clock))
  t.equal(second.statusCode, 200)
  t.same(second.json(), { id: first.json().id, duplicate: true })
  t.equal((await rows(config)).length, 1)
})

t.test('takes the body as raw bytes whatever the content type', async (t) => {
  const { app, clock, config } = await build(t)
  for (const [i, contentType] of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=utf-8'].entries()) {
    const res = await app.inject(clerkRequest(clock, { id: `msg_ct${i}`, contentType }))
    t.equal(res.statusCode, 200, contentType)
  }
  t.equal((await rows(config)).length, 4)
})

t.test('refuses a wrong signature with 401 and stores nothing', async (t) => {
  const { app, clock, config } = await build(t)
  const res = await app.inject(clerkRequest(clock, { secret: 'whsec_' + Buffer.alloc(24, 7).toString('base64') }))
  t.equal(res.statusCode, 401)
  t.match(res.json(), { statusCode: 401, code: 'HG_ERR_SIGNATURE_INVALID' })
  t.equal((await rows(config)).length, 0)
})

t.test('refuses a request without signature headers with 401', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'POST', url: '/webhooks/clerk', payload: clerkBody(), headers: { 'content-type': 'application/json' } })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'HG_ERR_SIGNATURE_MISSING')
})

t.test('refuses a timestamp older than the tolerance with 401', async (t) => {
  const { app, clock, config } = await build(t)
  const request = clerkRequest(clock)
  clock.advance(301_000)
  const res = await app.inject(request)
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE')
  t.equal((await rows(config)).length, 0)
})

t.test('refuses a correctly signed body that is not JSON with 400', async (t) => {
  const { app, clock, config } = await build(t)
  const res = await app.inject(clerkRequest(clock, { body: 'not json at all' }))
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'HG_ERR_PAYLOAD_INVALID')
  t.equal((await rows(config)).length, 0)
})

t.test('answers an unknown source with 404', async (t) => {
  const { app, clock } = await build(t)
  const res = await app.inject({ ...clerkRequest(clock), url: '/webhooks/stripe' })
  t.equal(res.statusCode, 404)
  t.match(res.json(), { code: 'HG_ERR_SOURCE_UNKNOWN', message: "Unknown source 'stripe'" })
})

t.test('answers a body over the limit with 413 before verifying it', async (t) => {
  const { app, clock } = await build(t, { config: { server: { host: '127.0.0.1', port: 0, bodyLimitBytes: 1024 } } })
  const res = await app.inject(clerkRequest(clock, { body: JSON.stringify({ type: 'user.created', data: { pad: 'x'.repeat(2000) } }) }))
  t.equal(res.statusCode, 413)
  t.equal(res.json().code, 'HG_ERR_BODY_TOO_LARGE')
})

t.test('logs one line per request with its outcome, and never a secret or a body', async (t) => {
  const { app, clock, logs } = await build(t)
  await app.inject(clerkRequest(clock))
  await app.inject(clerkRequest(clock))
  await app.inject(clerkRequest(clock, { secret: 'whsec_' + Buffer.alloc(24, 1).toString('base64') }))
  const lines = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request')
  t.match(lines, [
    { source: 'clerk', type: 'user.created', dedupKey: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', outcome: 'accepted', statusCode: 200, durationMs: Number },
    { outcome: 'duplicate', statusCode: 200 },
    { source: 'clerk', outcome: 'HG_ERR_SIGNATURE_INVALID', statusCode: 401 }
  ])
  const all = logs.join('')
  t.notOk(all.includes(CLERK_SECRET.slice(6)), 'no secret')
  t.notOk(all.includes('first_name'), 'no body')
})

t.test('answers 503 and acknowledges nothing when storage cannot take writes', async (t) => {
  if (sqliteOnly(t)) return
  const { app, clock, logs } = await build(t)
  await sqlite(app).writer.close()
  const res = await app.inject(clerkRequest(clock))
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'HG_ERR_STORAGE_UNAVAILABLE')
  t.equal(res.headers['retry-after'], '5')
  t.equal(res.json().message, 'The gateway cannot store anything right now and stored nothing; retry in 5 s', 'what the sender should do')
  const ready = await app.inject('/health/ready')
  t.equal(ready.statusCode, 503)
  for (const answer of [res, ready]) t.notMatch(answer.body, /SQLITE|writer|HG_WRITE/i, 'no internals in the answer')
  t.match(logs.join(''), 'HG_ERR_WRITER_CLOSED', 'they are in the log')
})

t.test('reports live and ready while the database is writable', async (t) => {
  const { app } = await build(t)
  t.same((await app.inject('/health/live')).json(), { status: 'ok' })
  const ready = await app.inject('/health/ready')
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready' })
})

t.test('answers unknown routes with a coded 404', async (t) => {
  const { app } = await build(t)
  const res = await app.inject('/nothing/here')
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'HG_ERR_NOT_FOUND')
})

t.test('verifies a genuine webhook even when its content type is malformed', async (t) => {
  const { app, clock } = await build(t)
  for (const [i, contentType] of ['', ';;;', 'json', 'application/json;;charset'].entries()) {
    const res = await app.inject(clerkRequest(clock, { id: `msg_badct${i}`, contentType }))
    t.equal(res.statusCode, 200, JSON.stringify(contentType))
  }
})

t.test('gives router and parser refusals a code too, without quoting the path back', async (t) => {
  const { app } = await build(t)
  const long = await app.inject({ method: 'POST', url: '/webhooks/' + 'a'.repeat(200), payload: '{}' })
  t.equal(long.statusCode, 414)
  t.same(long.json(), { statusCode: 414, code: 'HG_ERR_URL_TOO_LONG', error: 'URI Too Long', message: 'A path segment is too long' })
  const badUrl = await app.inject({ method: 'POST', url: '/webhooks/%E0%A4%A', payload: '{}' })
  t.equal(badUrl.statusCode, 400)
  t.equal(badUrl.json().code, 'HG_ERR_BAD_REQUEST')
})

t.test('legacyReserialized is refused where it cannot apply', async (t) => {
  await t.rejects(build(t, { config: { sources: { clerk: { provider: 'clerk', secret: CLERK_SECRET, options: { legacyReserialized: true } } } } }), { message: /sources\.clerk\.options: provider 'clerk' takes no options/ })
  await t.rejects(build(t, { config: { sources: { chaindoc: { provider: 'chaindoc', secret: CHAINDOC_SECRET, options: { legacyScheme: false, legacyReserialized: true } } } } }), { message: /sources\.chaindoc\.options: legacyReserialized: the legacy scheme is switched off/ })
})
