/**
 * Cheap requests from strangers that must not cost the gateway dearly: a
 * flood of unsigned webhooks at one source (another source's genuine failure
 * must stay visible in /admin/rejections, genuine webhooks keep being taken),
 * and a brute force on the admin token (429 after the allowed failures; the
 * right token works again once the window has passed).
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { Pool } from 'undici'
import { sampleEvent } from '../../providers/samples.js'
import { signChaindoc } from '../../providers/sign.js'
import { AUTH_FAILURE_WINDOW_MS, AUTH_FAILURES_ALLOWED } from '../../src/admin/auth-throttle.js'
import { REJECTIONS_BURST, REJECTIONS_PER_SECOND } from '../../src/ingest/rejections.js'
import { startChildGateway } from '../child-gateway.js'
import { build } from '../helper.js'
import { dbPathIn, gatewayConfigFile, genuineClerk, SECRETS, sleep, storedEvents, summary, Transcript, waitFor } from './support.js'

const FLOOD_SIZE = 3000
const FLOOD_CONCURRENCY = 16
const GENUINE_EVERY_MS = 10
const BRUTE_FORCE_TRIES = 200

t.test('a flood of unsigned requests at one source hides no other source\'s failure, and genuine webhooks go through', async (t) => {
  const dir = t.testdir()
  const dbPath = dbPathIn(dir)
  const transcript = new Transcript()
  const gateway = await startChildGateway(gatewayConfigFile(dir, dbPath, { admin: { token: SECRETS.adminToken } }))
  t.teardown(() => { gateway.child.kill('SIGKILL') })
  const pool = new Pool(gateway.url, { connections: FLOOD_CONCURRENCY + 2 })
  t.teardown(() => pool.destroy())
  const admin = { authorization: `Bearer ${SECRETS.adminToken}` }
  // A credential the flood carries: it must never be stored or shown.
  const apiKey = 'key-' + randomBytes(16).toString('hex')

  const genuine = { sent: 0, acked: new Set<string>(), failures: [] as string[] }
  const state = { done: false }
  const alongside = (async () => {
    while (!state.done) {
      const request = genuineClerk()
      genuine.sent++
      const res = await pool.request({ path: '/webhooks/clerk', method: 'POST', headers: request.headers, body: request.body })
      const text = await res.body.text()
      transcript.add(text)
      if (res.statusCode === 200) genuine.acked.add(request.svixId)
      else genuine.failures.push(`${res.statusCode} ${text.slice(0, 160)}`)
      await sleep(GENUINE_EVERY_MS)
    }
  })()

  const floodStatuses = new Map<number, number>()
  let next = 0
  let otherFailure: number | undefined
  const startedAt = Date.now()
  await Promise.all(Array.from({ length: FLOOD_CONCURRENCY }, async () => {
    while (next < FLOOD_SIZE) {
      const i = next++
      // Half-way through, the genuine failure of another source: Chaindoc signing with a secret the gateway does not have.
      if (i === FLOOD_SIZE / 2) {
        const body = sampleEvent('chaindoc', 'document.signed', Date.now())
        const res = await pool.request({ path: '/webhooks/chaindoc', method: 'POST', headers: signChaindoc({ timestampIso: new Date().toISOString(), body, secret: 'rotated-away-' + randomBytes(8).toString('hex') }), body })
        transcript.add(await res.body.text())
        otherFailure = res.statusCode
      }
      const res = await pool.request({ path: '/webhooks/clerk', method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: sampleEvent('clerk', 'user.created', Date.now()) })
      transcript.add(await res.body.text())
      floodStatuses.set(res.statusCode, (floodStatuses.get(res.statusCode) ?? 0) + 1)
    }
  }))
  const floodMs = Date.now() - startedAt
  state.done = true
  await alongside

  const list = async (query: string) => {
    const res = await pool.request({ path: `/admin/rejections${query}`, method: 'GET', headers: admin })
    const text = await res.body.text()
    transcript.add(text)
    return (JSON.parse(text) as { items: Array<{ source: string, reason: string, headers: Record<string, string> }> }).items
  }
  // Rejections are written after the answer: give the last ones a moment to commit.
  const kept = await waitFor(async () => (await list('?source=chaindoc')).some((r) => r.reason === 'HG_ERR_SIGNATURE_INVALID'), 5000, 100)
  const clerkKept = await list('?source=clerk&limit=100')
  const clerkBudget = REJECTIONS_BURST + Math.ceil(REJECTIONS_PER_SECOND * (floodMs + 5000) / 1000)

  t.same(Object.fromEntries(floodStatuses), { 401: FLOOD_SIZE }, `all ${FLOOD_SIZE} unsigned requests answered 401`)
  t.equal(otherFailure, 401, 'the other source\'s failure was answered 401')
  t.ok(kept, 'and it is in /admin/rejections after the flood')
  t.ok(clerkKept.length <= clerkBudget, `the flood kept ${clerkKept.length} rows, within its own budget (${clerkBudget})`)
  t.notOk(clerkKept.some((r) => 'x-api-key' in r.headers), 'x-api-key is not among the stored headers')
  t.same(genuine.failures, [], `every genuine webhook during the flood got 200 (${genuine.acked.size})`)
  const stored = storedEvents(dbPath)
  t.equal([...genuine.acked].filter((id) => !stored.has(id)).length, 0, 'every acknowledged one is stored')
  t.equal(stored.size, genuine.acked.size, 'and nothing else')
  t.equal(gateway.child.exitCode, null, 'the gateway is still running')

  transcript.add(gateway.output.join(''))
  transcript.check(t, 'unsigned-flood', [apiKey])
  summary('unsigned-flood', {
    tried: FLOOD_SIZE,
    'answered 401': floodStatuses.get(401) ?? 0,
    'flood ms': floodMs,
    'flood rejections kept': clerkKept.length,
    'other source failure visible': kept ? 'yes' : 'no',
    'genuine sent': genuine.sent,
    'genuine acknowledged': genuine.acked.size,
    lost: [...genuine.acked].filter((id) => !stored.has(id)).length,
    crashes: gateway.child.exitCode === null ? 0 : 1
  })
})

t.test('an admin brute force gets 429 after the allowed failures, and the right token works after the window', async (t) => {
  const { app, clock, logs } = await build(t, { config: { admin: { token: SECRETS.adminToken } } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const pool = new Pool(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, { connections: 8 })
  t.teardown(() => pool.destroy())
  const transcript = new Transcript()
  const call = async (token: string) => {
    const res = await pool.request({ path: '/admin/events', method: 'GET', headers: { authorization: `Bearer ${token}` } })
    const text = await res.body.text()
    transcript.add(text)
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], code: (JSON.parse(text) as { code?: string }).code }
  }

  const startedAt = Date.now()
  const answers: Array<Awaited<ReturnType<typeof call>>> = []
  for (let i = 0; i < BRUTE_FORCE_TRIES; i++) answers.push(await call('guess-' + randomBytes(12).toString('hex')))
  const triesMs = Date.now() - startedAt
  const count = (status: number) => answers.filter((a) => a.status === status).length
  const during = await call(SECRETS.adminToken)
  clock.advance(AUTH_FAILURE_WINDOW_MS)
  const after = await call(SECRETS.adminToken)

  t.equal(count(401), AUTH_FAILURES_ALLOWED, `the first ${AUTH_FAILURES_ALLOWED} wrong tokens get 401`)
  t.equal(count(429), BRUTE_FORCE_TRIES - AUTH_FAILURES_ALLOWED, 'every later one 429')
  t.ok(answers.slice(AUTH_FAILURES_ALLOWED).every((a) => a.code === 'HG_ERR_ADMIN_RATE_LIMITED' && /^\d+$/.test(String(a.retryAfter))), 'with HG_ERR_ADMIN_RATE_LIMITED and Retry-After')
  t.equal(during.status, 429, 'the right token waits too while the address is over')
  t.equal(after.status, 200, 'and works once the window has passed')
  transcript.add(logs.join(''))
  transcript.check(t, 'admin-brute-force')
  summary('admin-brute-force', {
    tried: BRUTE_FORCE_TRIES,
    'answered 401': count(401),
    'answered 429': count(429),
    'retry-after s': String(answers[AUTH_FAILURES_ALLOWED]?.retryAfter ?? '-'),
    'tries ms': triesMs,
    'right token during': during.status,
    'right token after window': after.status
  })
})
