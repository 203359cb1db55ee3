import t from 'tap'
import { build } from '../helper.js'
import { ADMIN_TOKEN, buildAdmin } from '../fixtures/admin.js'
import { ingest } from '../fixtures/events.js'
import { csrfOf, get, HOST, ORIGIN, post, signIn } from './fixtures.js'
import { SESSION_TTL_MS } from '../../src/console/index.js'

t.test('answers 404 at /ui when no admin token is set, like the admin API', async (t) => {
  const { app } = await build(t)
  for (const url of ['/ui/', '/ui/login', '/ui/events']) t.equal((await app.inject({ url })).statusCode, 404, url)
})

t.test('sends a browser without a session to the sign-in page, and refuses the live feed', async (t) => {
  const { app } = await buildAdmin(t)
  const page = await app.inject({ url: '/ui/events' })
  t.equal(page.statusCode, 303)
  t.equal(page.headers.location, '/ui/login')
  t.equal((await app.inject({ url: '/ui/live' })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/ui/destinations/x/pause', headers: { origin: ORIGIN, host: HOST } })).statusCode, 401)
  const form = await app.inject({ url: '/ui/login' })
  t.equal(form.statusCode, 200)
  t.match(form.body, /<label for="token">Admin token<\/label>/)
})

t.test('refuses a wrong token, and exchanges the right one for an HttpOnly, SameSite=Strict session cookie', async (t) => {
  const { app, logs } = await buildAdmin(t)
  const wrong = await signIn(app, 'not-the-admin-token-at-all')
  t.equal(wrong.res.statusCode, 401)
  t.equal(wrong.setCookie, '')
  t.match(wrong.res.body, 'That is not the admin token.')
  const right = await signIn(app)
  t.equal(right.res.statusCode, 303)
  t.equal(right.res.headers.location, '/ui/')
  t.match(right.setCookie, /^hg_session=[A-Za-z0-9_-]{43}; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=28800$/, 'no Secure over plain HTTP')
  t.notMatch(right.setCookie, ADMIN_TOKEN)
  const overview = await get(app, right.cookie, '/ui/')
  t.equal(overview.statusCode, 200)
  t.notMatch(overview.body, ADMIN_TOKEN, 'the token is in no page')
  t.notOk(logs.some((line) => line.includes(ADMIN_TOKEN)), 'nor in any log line')
  t.match(overview.headers['content-security-policy'], "script-src 'self'")
  t.equal(overview.headers['cache-control'], 'no-store')
})

t.test('marks the cookie Secure when the browser came over HTTPS through a proxy', async (t) => {
  const { app } = await buildAdmin(t)
  const res = await app.inject({
    method: 'POST', url: '/ui/login', payload: `token=${ADMIN_TOKEN}`,
    headers: { host: HOST, origin: `https://${HOST}`, 'x-forwarded-proto': 'https', 'content-type': 'application/x-www-form-urlencoded' }
  })
  t.equal(res.statusCode, 303)
  t.match(String(res.headers['set-cookie']), /; Secure$/)
})

t.test('counts failed sign-ins in the admin API\'s throttle: after 20, even the right token waits', async (t) => {
  const { app } = await buildAdmin(t)
  for (let i = 0; i < 20; i++) t.equal((await signIn(app, `wrong-token-${i}-xxxxxxxx`)).res.statusCode, 401)
  const blocked = await signIn(app)
  t.equal(blocked.res.statusCode, 429)
  t.ok(Number(blocked.res.headers['retry-after']) > 0)
  t.equal((await app.inject({ url: '/admin/events', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode, 429, 'one throttle for the API and the console')
})

t.test('refuses a state-changing request without this host\'s Origin or without the session\'s CSRF token', async (t) => {
  const { app } = await buildAdmin(t, { destinations: { svc: { url: 'http://127.0.0.1:9/hooks' } } })
  const { cookie } = await signIn(app)
  const csrf = csrfOf((await get(app, cookie, '/ui/destinations')).body)
  t.ok(csrf.length >= 43)
  t.equal((await post(app, cookie, '/ui/destinations/svc/pause', { _csrf: csrf }, {})).statusCode, 403, 'no Origin')
  t.equal((await post(app, cookie, '/ui/destinations/svc/pause', { _csrf: csrf }, { origin: 'https://evil.example' })).statusCode, 403, 'another site')
  t.equal((await post(app, cookie, '/ui/destinations/svc/pause', {})).statusCode, 403, 'no token')
  t.equal((await post(app, cookie, '/ui/destinations/svc/pause', { _csrf: csrf.slice(1) + 'A' })).statusCode, 403, 'a wrong token')
  t.equal((await app.inject({ url: '/admin/destinations', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json().items[0].paused, false, 'nothing was paused')
  const done = await post(app, cookie, '/ui/destinations/svc/pause', { _csrf: csrf })
  t.equal(done.statusCode, 303)
  t.equal((await app.inject({ url: '/admin/destinations', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json().items[0].paused, true)
  t.match((await get(app, cookie, '/ui/destinations')).body, 'svc is paused: its deliveries wait.')
})

t.test('a session expires after its time, and signing out ends it at once', async (t) => {
  const { app, clock } = await buildAdmin(t)
  const first = await signIn(app)
  clock.advance(SESSION_TTL_MS - 1)
  t.equal((await get(app, first.cookie, '/ui/')).statusCode, 200)
  clock.advance(1)
  t.equal((await get(app, first.cookie, '/ui/')).statusCode, 303, 'expired')
  const second = await signIn(app)
  const csrf = csrfOf((await get(app, second.cookie, '/ui/')).body)
  const out = await post(app, second.cookie, '/ui/logout', { _csrf: csrf })
  t.equal(out.statusCode, 303)
  t.equal(out.headers.location, '/ui/login')
  t.match(String(out.headers['set-cookie']), /^hg_session=; .*Max-Age=0/)
  t.equal((await get(app, second.cookie, '/ui/')).statusCode, 303, 'the old cookie opens nothing')
})

t.test('escapes what a webhook sent: a type holding markup is shown as text', async (t) => {
  const { app } = await buildAdmin(t)
  const id = await ingest(app, 1, '<img src=x onerror=alert(1)>')
  const { cookie } = await signIn(app)
  for (const url of ['/ui/events', `/ui/events/${id}`]) {
    const { body } = await get(app, cookie, url)
    t.notMatch(body, '<img src=x', url)
    t.match(body, '&lt;img src=x onerror=alert(1)&gt;', url)
  }
})

t.test('answers an unknown event with a 404 page naming the code', async (t) => {
  const { app } = await buildAdmin(t)
  const { cookie } = await signIn(app)
  const res = await get(app, cookie, '/ui/events/evt_000000000nothere')
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], 'text/html')
  t.match(res.body, 'HG_ERR_EVENT_NOT_FOUND')
})
