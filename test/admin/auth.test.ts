import t from 'tap'
import { bearerMatches } from '../../src/admin/auth.js'
import { AUTH_FAILURE_WINDOW_MS, AUTH_FAILURES_ALLOWED } from '../../src/admin/auth-throttle.js'
import { admin, ADMIN_TOKEN, auth, buildAdmin, rejectionsWritten } from '../fixtures/admin.js'
import { build, TestClock } from '../helper.js'

t.test('the admin API is off (404) when no admin token is configured', async (t) => {
  const { app } = await build(t)
  for (const url of ['/admin/events', '/admin/openapi.json', '/admin/destinations']) {
    const res = await app.inject({ url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    t.equal(res.statusCode, 404, url)
    t.equal(res.json().code, 'HG_ERR_NOT_FOUND')
  }
})

t.test('refuses a missing, wrong or malformed token with 401 and a Bearer challenge', async (t) => {
  const { app } = await buildAdmin(t)
  const cases: Array<Record<string, string>> = [
    {},
    { authorization: 'Bearer wrong-token-0123456789' },
    { authorization: `Bearer ${ADMIN_TOKEN}x` },
    { authorization: `Basic ${Buffer.from('admin:' + ADMIN_TOKEN).toString('base64')}` },
    { authorization: ADMIN_TOKEN },
    { authorization: 'Bearer ' }
  ]
  for (const headers of cases) {
    for (const [method, url] of [['GET', '/admin/events'], ['POST', '/admin/deliveries/retry'], ['GET', '/admin/openapi.json']] as const) {
      const res = await app.inject({ method, url, headers, ...(method === 'POST' ? { payload: {} } : {}) })
      t.equal(res.statusCode, 401, `${method} ${url} with ${JSON.stringify(headers)}`)
      t.equal(res.json().code, 'HG_ERR_ADMIN_UNAUTHORIZED')
      t.equal(res.headers['www-authenticate'], 'Bearer realm="hookgate"')
    }
  }
})

t.test('accepts the token whatever the case of the scheme', async (t) => {
  const { app } = await buildAdmin(t)
  const res = await app.inject({ url: '/admin/events', headers: { authorization: `bearer ${ADMIN_TOKEN}` } })
  t.equal(res.statusCode, 200)
})

t.test('bearerMatches compares whole tokens, whatever their lengths', async (t) => {
  t.ok(bearerMatches(`Bearer ${ADMIN_TOKEN}`, ADMIN_TOKEN))
  t.notOk(bearerMatches(`Bearer ${ADMIN_TOKEN.slice(0, -1)}`, ADMIN_TOKEN), 'a prefix')
  t.notOk(bearerMatches(`Bearer ${ADMIN_TOKEN} extra`, ADMIN_TOKEN), 'trailing words')
  t.notOk(bearerMatches(undefined, ADMIN_TOKEN))
  t.notOk(bearerMatches('Bearer', ADMIN_TOKEN))
})

t.test('serves an OpenAPI 3 document of the admin routes only, behind the token', async (t) => {
  const { app } = await buildAdmin(t)
  const { status, body } = await admin(app, 'GET', '/admin/openapi.json')
  t.equal(status, 200)
  t.match(body.openapi, /^3\./)
  t.same(Object.keys(body.paths).sort(), [
    '/admin/deliveries', '/admin/deliveries/retry', '/admin/deliveries/{id}/retry', '/admin/deliveries/{id}/skip',
    '/admin/destinations', '/admin/destinations/{name}/pause', '/admin/destinations/{name}/resume',
    '/admin/events', '/admin/events/{id}', '/admin/events/{id}/replay', '/admin/held', '/admin/rejections'
  ])
  t.same(body.security, [{ adminToken: [] }])
  t.match(body.components.securitySchemes.adminToken, { type: 'http', scheme: 'bearer' })
  const statuses = body.paths['/admin/events'].get.parameters.find((p: { name: string }) => p.name === 'status')
  t.same(statuses.schema.enum, ['pending', 'delivered', 'dead', 'none'], 'the filters are documented with their values')
})

t.test('an admin token in a webhook request is never kept with the rejection', async (t) => {
  const { app } = await buildAdmin(t)
  await app.inject({ method: 'POST', url: '/webhooks/clerk', payload: '{}', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, 'x-leak': ADMIN_TOKEN, cookie: 'session=1' } })
  await rejectionsWritten(app)
  const { body } = await admin(app, 'GET', '/admin/rejections')
  t.equal(body.items.length, 1)
  t.notOk(JSON.stringify(body).includes(ADMIN_TOKEN))
  t.notOk('cookie' in body.items[0].headers)
})

t.test('throttles failed authentication per client address: 429 with Retry-After, the right token after the window', async (t) => {
  const clock = new TestClock()
  const { app } = await buildAdmin(t, { clock })
  const attacker = { remoteAddress: '127.0.0.9' }
  const wrong = { authorization: 'Bearer wrong-token-0123456789' }
  for (let i = 0; i < AUTH_FAILURES_ALLOWED; i++) {
    t.equal((await app.inject({ url: '/admin/events', headers: wrong, ...attacker })).statusCode, 401)
    t.equal((await app.inject({ url: '/admin/events', headers: auth })).statusCode, 200, 'successes from another address are unaffected')
  }
  clock.advance(10_000)
  const limited = await app.inject({ url: '/admin/events', headers: wrong, ...attacker })
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'HG_ERR_ADMIN_RATE_LIMITED')
  t.equal(limited.headers['retry-after'], String((AUTH_FAILURE_WINDOW_MS - 10_000) / 1000))
  t.equal((await app.inject({ url: '/admin/events', headers: auth, ...attacker })).statusCode, 429, 'the right token too: a guess cannot be told apart')
  t.equal((await app.inject({ url: '/admin/events', headers: auth })).statusCode, 200, 'other addresses still get in')
  clock.advance(AUTH_FAILURE_WINDOW_MS - 10_000 - 1)
  t.equal((await app.inject({ url: '/admin/events', headers: auth, ...attacker })).statusCode, 429, 'until the window ends')
  clock.advance(1)
  t.equal((await app.inject({ url: '/admin/events', headers: auth, ...attacker })).statusCode, 200, 'the right token works after the window')
  t.equal((await app.inject({ url: '/admin/events', headers: wrong, ...attacker })).statusCode, 401, 'a fresh window of failures')
})

t.test('successful requests never count toward the limit', async (t) => {
  const clock = new TestClock()
  const { app } = await buildAdmin(t, { clock })
  for (let i = 0; i < AUTH_FAILURES_ALLOWED * 3; i++) t.equal((await app.inject({ url: '/admin/events', headers: auth })).statusCode, 200)
  for (let i = 0; i < AUTH_FAILURES_ALLOWED - 1; i++) await app.inject({ url: '/admin/events' })
  t.equal((await app.inject({ url: '/admin/events', headers: auth })).statusCode, 200, 'one failure short of the limit: still served')
})

t.test('/metrics behind the token shares the count', async (t) => {
  const clock = new TestClock()
  const { app } = await buildAdmin(t, { clock, config: { admin: { token: ADMIN_TOKEN }, metrics: { requireToken: true } } })
  for (let i = 0; i < AUTH_FAILURES_ALLOWED; i++) await app.inject({ url: '/metrics' })
  const res = await app.inject({ url: '/admin/events', headers: auth })
  t.equal(res.statusCode, 429)
  t.match(res.headers['retry-after'], /^\d+$/)
})
