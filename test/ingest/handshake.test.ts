import { timingSafeEqual } from 'node:crypto'
import t from 'tap'
import { checkPlugin } from '../../providers/plugin.js'
import type { RawRequest } from '../../providers/types.js'
import { admin, buildAdmin, metric, rejectionsWritten } from '../fixtures/admin.js'
import { startReceiver } from '../fixtures/receiver.js'
import { deliveries, storedEvents } from '../fixtures/events.js'

const TOKEN = 'probe-token-0123456789abcdef'

/**
 * A provider with both capabilities of the contract: it takes GET, and
 * answers a verified handshake itself. Verification is a shared token in a
 * header (or, for GET, in the query, as Meta's subscription check does).
 */
const probe = checkPlugin({
  name: 'probe',
  storedHeaders: ['x-probe-token'],
  methods: ['POST', 'GET'],
  verify (req: RawRequest, secrets: readonly string[]) {
    const given = req.method === 'GET' ? req.query?.get('token') : req.headers['x-probe-token']
    if (given == null) throw Object.assign(new Error('missing'), { code: 'HG_ERR_SIGNATURE_MISSING' })
    const ok = secrets.some((s) => s.length === given.length && timingSafeEqual(Buffer.from(s), Buffer.from(given)))
    if (!ok) throw Object.assign(new Error('wrong'), { code: 'HG_ERR_SIGNATURE_INVALID' })
    if (req.method === 'GET') {
      const challenge = req.query?.get('challenge')
      return challenge == null ? { dedupKey: 'x', type: 'get.event', payload: null } : { reply: { status: 200, headers: { 'content-type': 'text/plain' }, body: challenge } }
    }
    const body = JSON.parse(req.body.toString()) as { type: string, id: string }
    if (body.type === 'ping') return { reply: { status: 200, body: '{"type":1}' } }
    return { dedupKey: body.id, type: body.type, payload: body }
  }
}, undefined)

async function gateway (t: Parameters<typeof buildAdmin>[0]) {
  const receiver = await startReceiver(t)
  const { app } = await buildAdmin(t, {
    plugins: new Map([['./probe.mjs', probe]]),
    destinations: { svc: { url: receiver.url } },
    config: { sources: { probe: { provider: { module: './probe.mjs' }, secret: TOKEN }, clerk: { provider: 'clerk', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } } }
  })
  const count = async (rows: 'events' | 'deliveries') => (rows === 'events' ? await storedEvents(app) : await deliveries(app)).length
  return { app, receiver, count }
}

t.test('a verified handshake is answered with the provider\'s reply, and nothing is stored or forwarded', async (t) => {
  const { app, receiver, count } = await gateway(t)
  const res = await app.inject({ method: 'POST', url: '/webhooks/probe', headers: { 'x-probe-token': TOKEN, 'content-type': 'application/json' }, payload: '{"type":"ping","id":"p1"}' })
  t.equal(res.statusCode, 200)
  t.equal(res.body, '{"type":1}', 'the bytes the provider gave, not our {id, duplicate} answer')
  t.match(res.headers['content-type'], 'application/json')
  t.equal(await count('events'), 0)
  t.equal(await count('deliveries'), 0)
  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests.length, 0, 'nothing forwarded')
  t.equal(await metric(app, 'hookgate_webhooks_received_total{source="probe",outcome="handshake"}'), 1, 'counted as a handshake')
})

t.test('an unverified handshake is refused like any forged webhook', async (t) => {
  const { app, count } = await gateway(t)
  const res = await app.inject({ method: 'POST', url: '/webhooks/probe', headers: { 'x-probe-token': 'wrong-token-0123456789abcdef', 'content-type': 'application/json' }, payload: '{"type":"ping","id":"p1"}' })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'HG_ERR_SIGNATURE_INVALID')
  t.notMatch(res.body, '"type":1')
  t.equal(await count('events'), 0)
  await rejectionsWritten(app)
  t.equal((await admin(app, 'GET', '/admin/rejections')).body.items.length, 1, 'kept as a rejection')
})

t.test('a provider that declares GET gets its GET handshake, with the query', async (t) => {
  const { app, count } = await gateway(t)
  const res = await app.inject({ method: 'GET', url: `/webhooks/probe?token=${TOKEN}&challenge=1158201444` })
  t.equal(res.statusCode, 200)
  t.equal(res.body, '1158201444')
  t.equal(res.headers['content-type'], 'text/plain')
  const refused = await app.inject({ method: 'GET', url: '/webhooks/probe?token=nope&challenge=1158201444' })
  t.equal(refused.statusCode, 401)
  t.notMatch(refused.body, '1158201444', 'no challenge echoed without verification')
  t.equal(await count('events'), 0)
})

t.test('a GET is never stored as an event, even one its provider verifies as one', async (t) => {
  const { app, count } = await gateway(t)
  const res = await app.inject({ method: 'GET', url: `/webhooks/probe?token=${TOKEN}` })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'HG_ERR_NOT_FOUND')
  t.equal(await count('events'), 0)
})

t.test('GET and HEAD to a provider that takes no GET stay a path that does not exist, and are not kept as rejections', async (t) => {
  const { app } = await gateway(t)
  for (const method of ['GET', 'HEAD'] as const) {
    const res = await app.inject({ method, url: '/webhooks/clerk' })
    t.equal(res.statusCode, 404, method)
    if (method === 'GET') t.equal(res.json().code, 'HG_ERR_NOT_FOUND')
  }
  t.equal((await app.inject({ method: 'HEAD', url: `/webhooks/probe?token=${TOKEN}&challenge=1` })).statusCode, 404, 'HEAD is no handshake')
  t.equal((await app.inject({ method: 'GET', url: '/webhooks/nowhere' })).statusCode, 404)
  await rejectionsWritten(app)
  t.equal((await admin(app, 'GET', '/admin/rejections')).body.items.length, 0)
})

t.test("a plugin's methods must be POST and GET only", async (t) => {
  t.match(checkPlugin({ name: 'x', storedHeaders: [], methods: ['PUT'], verify () {} }, undefined), { problems: ["'methods', when present, must be a non-empty list of 'POST' and 'GET'"] })
})
