import t from 'tap'
import { bearerMatches } from '../../src/admin/auth.js'
import { admin, ADMIN_TOKEN, buildAdmin, rejectionsWritten } from '../fixtures/admin.js'
import { build } from '../helper.js'

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
    '/admin/deliveries', '/admin/deliveries/retry', '/admin/deliveries/{id}/retry',
    '/admin/destinations', '/admin/destinations/{name}/pause', '/admin/destinations/{name}/resume',
    '/admin/events', '/admin/events/{id}', '/admin/events/{id}/replay', '/admin/rejections'
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
