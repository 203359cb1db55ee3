import t from 'tap'
import Stripe from 'stripe'
import { samples } from '../../providers/samples.js'
import { stripe } from '../../providers/stripe.js'
import { changeChar, flipByte, rejects } from './support.js'

// docs/provider-specs.md §4.2 [derived], checked there with stripe.webhooks.constructEvent.
const SECRET = 'whsec_test_secret'
const BODY = '{"id":"evt_test_webhook","object":"event"}'
const T = 1700000000
const V1 = 'd95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990'
const NOW = T * 1000
const OPTIONS = { toleranceMs: 300_000 }
const webhooks = Stripe.webhooks

const verify = (signature: string | undefined, body: Buffer | string, secrets = [SECRET], now = NOW) =>
  stripe.verify({ headers: { 'stripe-signature': signature }, body: Buffer.from(body) }, secrets, now, OPTIONS)
const event = (type = 'payment_intent.succeeded') => samples.stripe.body(type, NOW)

t.test('the §4.2 vector passes the signature check (it has no type, so the body is refused after)', async (t) => {
  rejects(t, () => verify(`t=${T},v1=${V1}`, BODY), 'HG_ERR_PAYLOAD_INVALID', 400, [SECRET])
  rejects(t, () => verify(`t=${T},v1=${V1}`, BODY, ['whsec_other']), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('a one-byte change to the body, the timestamp or the signature fails', async (t) => {
  rejects(t, () => verify(`t=${T},v1=${V1}`, flipByte(BODY, 8)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(`t=${T + 1},v1=${V1}`, BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(`t=${T},v1=${changeChar(V1, 10)}`, BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test("verifies what stripe's generateTestHeaderString signs, and stripe's constructEvent accepts our sample", async (t) => {
  const body = event()
  const header = webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: T })
  const result = verify(header, body)
  t.match(result, { dedupKey: /^evt_/, type: 'payment_intent.succeeded', subject: /^pi_/, occurredAt: new Date(NOW).toISOString() })
  const ours = samples.stripe.sign(body, SECRET, NOW, 'payment_intent.succeeded')
  t.equal(webhooks.constructEvent(body, ours['stripe-signature']!, SECRET, 300, undefined, T).id, JSON.parse(body).id)
})

t.test('a rolled secret: either of two v1 signatures, and either of two secrets, verifies; v0 is ignored', async (t) => {
  const body = event('customer.created')
  const old = webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_old', timestamp: T })
  const fresh = webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: T })
  const both = `${fresh},${old.split(',')[1]}`
  t.equal(verify(both, body).type, 'customer.created')
  t.equal(verify(old, body, [SECRET, 'whsec_old']).type, 'customer.created')
  rejects(t, () => verify(fresh.replace('v1=', 'v0='), body), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('refuses stale and future timestamps (both ways, stricter than the library), and malformed headers', async (t) => {
  const body = event()
  const header = webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: T })
  t.ok(verify(header, body, [SECRET], NOW + 300_000))
  rejects(t, () => verify(header, body, [SECRET], NOW + 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(header, body, [SECRET], NOW - 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(undefined, body), 'HG_ERR_SIGNATURE_MISSING', 401)
  for (const bad of [`v1=${V1}`, `t=abc,v1=${V1}`, `t=${T},t=${T},v1=${V1}`, `${header}, ${header}`]) rejects(t, () => verify(bad, body), 'HG_ERR_TIMESTAMP_INVALID', 401)
  rejects(t, () => verify(`t=${T}`, body), 'HG_ERR_SIGNATURE_INVALID', 401)
  const notJson = webhooks.generateTestHeaderString({ payload: 'nope', secret: SECRET, timestamp: T })
  rejects(t, () => verify(notJson, 'nope'), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('vets secrets: whsec_ required, an API key is named as one', async (t) => {
  t.equal(stripe.validateSecret?.(SECRET), null)
  t.match(stripe.validateSecret?.('sk_live_abc'), /API key/)
  t.match(stripe.validateSecret?.('secret'), /starts with whsec_/)
})
