import t from 'tap'
import { signClerk } from '../providers/sign.js'
import { parseConfig } from '../src/config/load.js'
import { admin, ADMIN_TOKEN, auth, buildAdmin, metric } from './fixtures/admin.js'
import { clerkBody, ingest } from './fixtures/events.js'
import { startReceiver } from './fixtures/receiver.js'
import { build, CLERK_SECRET } from './helper.js'
import type { FastifyInstance } from 'fastify'

const received = (source: string, outcome: string) => `hookgate_webhooks_received_total{source="${source}",outcome="${outcome}"}`

function clerk (app: FastifyInstance, opts: { id?: string, body?: string, secret?: string, url?: string } = {}) {
  const body = opts.body ?? clerkBody('user_1')
  const headers = signClerk({ id: opts.id ?? 'msg_1', timestampSec: Math.floor(app.hookgate.clock.now() / 1000), body, secret: opts.secret ?? CLERK_SECRET })
  return app.inject({ method: 'POST', url: opts.url ?? '/webhooks/clerk', headers, payload: body })
}

t.test('counts webhooks by source and outcome, each refusal by its reason, and times them', async (t) => {
  const { app, clock } = await build(t, { config: { server: { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096 } } })
  t.equal(await metric(app, received('clerk', 'accepted')), 0)

  await clerk(app)
  t.equal(await metric(app, received('clerk', 'accepted')), 1, 'accepted')
  await clerk(app)
  t.equal(await metric(app, received('clerk', 'duplicate')), 1, 'duplicate')
  await clerk(app, { id: 'msg_2', secret: 'whsec_' + Buffer.alloc(24, 7).toString('base64') })
  t.equal(await metric(app, received('clerk', 'HG_ERR_SIGNATURE_INVALID')), 1, 'wrong signature')
  await app.inject({ method: 'POST', url: '/webhooks/clerk', payload: '{}' })
  t.equal(await metric(app, received('clerk', 'HG_ERR_SIGNATURE_MISSING')), 1, 'no signature')
  await clerk(app, { id: 'msg_3', body: 'not json' })
  t.equal(await metric(app, received('clerk', 'HG_ERR_PAYLOAD_INVALID')), 1, 'bad shape')
  await clerk(app, { id: 'msg_4', body: JSON.stringify({ type: 'user.created', pad: 'x'.repeat(5000) }) })
  t.equal(await metric(app, received('clerk', 'HG_ERR_BODY_TOO_LARGE')), 1, 'too large')
  const stale = { method: 'POST' as const, url: '/webhooks/clerk', payload: clerkBody('user_5'), headers: signClerk({ id: 'msg_5', timestampSec: Math.floor(clock.now() / 1000) - 3600, body: clerkBody('user_5'), secret: CLERK_SECRET }) }
  await app.inject(stale)
  t.equal(await metric(app, received('clerk', 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE')), 1, 'stale timestamp')
  await clerk(app, { url: '/webhooks/probe-' + Math.random() })
  t.equal(await metric(app, received('(unknown)', 'HG_ERR_SOURCE_UNKNOWN')), 1, 'an unknown source is one label value, whatever its name')

  t.equal(await metric(app, 'hookgate_ingest_duration_seconds_count{source="clerk"}'), 7, 'every answer timed')
  t.ok(await metric(app, 'hookgate_ingest_duration_seconds_sum{source="clerk"}') > 0)
})

t.test('counts delivery attempts by destination and outcome, with attempt and end-to-end latency', async (t) => {
  const flaky = await startReceiver(t, [{ status: 500 }, { status: 200 }])
  const refusing = await startReceiver(t, () => ({ status: 400 }))
  const { app, clock } = await build(t, { config: { destinations: { flaky: { url: flaky.url }, refusing: { url: refusing.url } } } })
  await ingest(app, 1)
  await app.hookgate.dispatcher.runOnce()
  t.equal(await metric(app, 'hookgate_delivery_attempts_total{destination="flaky",outcome="retry"}'), 1)
  t.equal(await metric(app, 'hookgate_delivery_attempts_total{destination="refusing",outcome="dead"}'), 1)
  t.equal(await metric(app, 'hookgate_delivery_end_to_end_seconds_count{destination="flaky"}'), 0, 'not delivered yet')

  clock.advance(5000)
  await app.hookgate.dispatcher.runOnce()
  t.equal(await metric(app, 'hookgate_delivery_attempts_total{destination="flaky",outcome="delivered"}'), 1)
  t.equal(await metric(app, 'hookgate_delivery_attempt_duration_seconds_count{destination="flaky"}'), 2)
  t.equal(await metric(app, 'hookgate_delivery_end_to_end_seconds_count{destination="flaky"}'), 1)
  const endToEnd = await metric(app, 'hookgate_delivery_end_to_end_seconds_sum{destination="flaky"}')
  t.ok(endToEnd >= 5 && endToEnd < 6, `received to delivered spans the 5 s retry (${endToEnd})`)
})

t.test('reports pending and dead per destination and the oldest pending age', async (t) => {
  const ok = await startReceiver(t)
  const refusing = await startReceiver(t, () => ({ status: 400 }))
  const { app, clock } = await buildAdmin(t, { destinations: { held: { url: ok.url }, refusing: { url: refusing.url } } })
  t.equal(await metric(app, 'hookgate_deliveries_pending{destination="held"}'), 0, 'configured destinations appear at 0')
  await admin(app, 'POST', '/admin/destinations/held/pause')
  await ingest(app, 1)
  clock.advance(30_000)
  await ingest(app, 2)
  await app.hookgate.dispatcher.runOnce()
  clock.advance(60_000)

  t.equal(await metric(app, 'hookgate_deliveries_pending{destination="held"}'), 2)
  t.equal(await metric(app, 'hookgate_deliveries_dead{destination="refusing"}'), 2)
  t.equal(await metric(app, 'hookgate_oldest_pending_delivery_age_seconds{destination="held"}'), 90)
  t.equal(await metric(app, 'hookgate_destination_paused{destination="held"}'), 1)

  await admin(app, 'POST', '/admin/destinations/held/resume')
  await app.hookgate.dispatcher.runOnce()
  t.equal(await metric(app, 'hookgate_deliveries_pending{destination="held"}'), 0)
  t.equal(await metric(app, 'hookgate_oldest_pending_delivery_age_seconds{destination="held"}'), 0)
  t.equal(await metric(app, 'hookgate_destination_paused{destination="held"}'), 0)
})

t.test('reports held subjects and the deliveries waiting behind them, per destination that orders by subject', async (t) => {
  const refusing = await startReceiver(t, (r) => JSON.parse(r.body.toString()).subject === 'user_a' ? { status: 400 } : { status: 200 })
  const { app } = await buildAdmin(t, { destinations: { ledger: { url: refusing.url, ordering: 'subject', onDead: 'block' }, plain: { url: refusing.url } } })
  const held = (name: string) => metric(app, `hookgate_${name}{destination="ledger"}`)
  t.equal(await held('held_subjects'), 0, 'an ordered destination appears at 0')
  t.equal(await held('held_deliveries'), 0)
  t.notMatch((await app.inject('/metrics')).body, 'hookgate_held_subjects{destination="plain"}', 'one that orders nothing has no held series')
  for (const [n, subject] of [[1, 'user_a'], [2, 'user_a'], [3, 'user_a'], [4, 'user_b']] as const) await ingest(app, n, 'user.updated', subject)
  await app.hookgate.dispatcher.runOnce()
  t.equal(await held('held_subjects'), 1, 'user_a, behind its dead head')
  t.equal(await held('held_deliveries'), 2)
  const head = (await admin(app, 'GET', '/admin/held')).body.items[0].head.id
  await admin(app, 'POST', `/admin/deliveries/${head}/skip`)
  await app.hookgate.dispatcher.runOnce()
  t.equal(await held('held_subjects'), 1, 'the next head was refused too')
  t.equal(await held('held_deliveries'), 1)
})

t.test('serves the Prometheus text format, openly unless metrics.requireToken is set', async (t) => {
  const open = await build(t)
  const res = await open.app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.match(res.body, /# TYPE hookgate_webhooks_received_total counter/)
  t.match(res.body, /hookgate_process_cpu_seconds_total/, 'process metrics too')

  const guarded = await buildAdmin(t, { config: { metrics: { requireToken: true } } })
  const refused = await guarded.app.inject('/metrics')
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, 'HG_ERR_ADMIN_UNAUTHORIZED')
  t.equal((await guarded.app.inject({ url: '/metrics', headers: auth })).statusCode, 200)
})

t.test('metrics.requireToken without admin.token is a configuration error', async (t) => {
  t.throws(() => parseConfig({ metrics: { requireToken: true } }, {}), { code: 'HG_ERR_CONFIG_INVALID', message: /metrics\.requireToken: set admin\.token too/ })
  t.doesNotThrow(() => parseConfig({ metrics: { requireToken: true }, admin: { token: ADMIN_TOKEN } }, {}))
})
