import t from 'tap'
import { Webhook } from 'svix'
import { chaindoc } from '../../providers/chaindoc.js'
import { clerk } from '../../providers/clerk.js'
import { isProviderName, providerNames, providers } from '../../providers/index.js'
import { sampleEvent } from '../../providers/samples.js'
import { signChaindoc, signChaindocLegacy, signClerk } from '../../providers/sign.js'
import { verifierWallClock } from '../helper.js'
import { NOW } from './support.js'

const CLERK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const OPTIONS = { toleranceMs: 300_000 }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
// docs/provider-specs.md §3.2: the 17 event types of the SDK 2.x snapshot.
const CHAINDOC_TYPES = ['document.created', 'document.verified', 'document.signed', 'signature.request.created',
  'signature.request.completed', 'signature.request.rejected', 'contract.created', 'contract.status_changed', 'contract.signed',
  'contract.cancelled', 'contract.terminated', 'invoice.created', 'invoice.sent', 'invoice.paid', 'invoice.cancelled',
  'transaction.created', 'transaction.updated',
  // …and two of the later contract test's additions, which fall back to data.id / contractId
  'additional_agreement.signed', 'workflow.run.started']

t.test('signClerk reproduces the official §1.9 and §2.6 signatures through svix', async (t) => {
  t.same(signClerk({ id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestampSec: 1614265330, body: '{"test": 2432232314}', secret: CLERK_SECRET }), {
    'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'svix-timestamp': '1614265330',
    'svix-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    'content-type': 'application/json'
  })
  const body = '{"data":{"deleted":true,"id":"user_29wBMCtzATuFJut8jO2VNTVekS4","object":"user"},"object":"event","timestamp":1661861640000,"type":"user.deleted"}'
  const headers = signClerk({ id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestampSec: 1674087231, body: Buffer.from(body), secret: CLERK_SECRET })
  t.equal(headers['svix-signature'], 'v1,vlIAlBwo/xHWw6q0r3DmJ1OzIySPwVEBx1VRxsbzySM=', 'a Buffer body signs like its string')
})

t.test('signClerk refuses bytes that are not UTF-8 rather than sign something else', async (t) => {
  t.throws(() => signClerk({ id: 'msg_1', timestampSec: 1, body: Buffer.from([0xff]), secret: CLERK_SECRET }), TypeError)
})

t.test('signChaindoc and signChaindocLegacy reproduce the §3.4 signatures', async (t) => {
  const body = '{"id":"2bcb5d52-7d64-43c6-b715-0a72f20d9c2f","type":"contract.created","createdAt":"2026-04-03T10:00:00.000Z","data":{"contractId":"7c2807a3-3ad4-4423-9ebc-0281bff2660b","status":"draft"}}'
  t.same(signChaindoc({ timestampIso: '2026-04-03T10:00:00.000Z', body, secret: 'webhook-secret' }), {
    'x-chaindoc-signature': 'v1=85343186ee16857d3f1ff50d8e21bc786f98834541576649854f2c548701cdb6',
    'x-chaindoc-timestamp': '2026-04-03T10:00:00.000Z',
    'content-type': 'application/json'
  })
  const legacy = '{"event":"document.signed","timestamp":"2026-01-01T00:00:00.000Z","data":{"documentId":"doc_123"}}'
  t.same(signChaindocLegacy({ body: Buffer.from(legacy), secret: 'webhook-secret', event: 'document.signed' }), {
    'x-webhook-signature': '937e034f7a22bd9039cebfefac82e8c77683640e653318cf4a7dafca8c46940d',
    'x-webhook-event': 'document.signed',
    'content-type': 'application/json'
  })
})

t.test('a Clerk user.created sample is about 1.5 KB, signed by svix and verified by the provider and svix', async (t) => {
  const now = verifierWallClock()
  const body = sampleEvent('clerk', 'user.created', now)
  t.ok(Buffer.byteLength(body) > 1400 && Buffer.byteLength(body) < 1700, `${Buffer.byteLength(body)} bytes`)
  const headers = signClerk({ id: 'msg_sample', timestampSec: Math.floor(now / 1000), body, secret: CLERK_SECRET })
  const event = clerk.verify({ headers, body: Buffer.from(body) }, [CLERK_SECRET], now, OPTIONS)
  t.match(event, { dedupKey: 'msg_sample', type: 'user.created', subject: /^user_\w{27}$/, occurredAt: new Date(now).toISOString() })
  t.doesNotThrow(() => new Webhook(CLERK_SECRET).verify(body, headers))
  t.not(sampleEvent('clerk', 'user.created', now), body, 'ids are fresh each time')
})

t.test('a Clerk session sample is about a session', async (t) => {
  const now = NOW
  const body = sampleEvent('clerk', 'session.created', now)
  const headers = signClerk({ id: 'msg_s', timestampSec: Math.floor(now / 1000), body, secret: CLERK_SECRET })
  t.match(clerk.verify({ headers, body: Buffer.from(body) }, [CLERK_SECRET], now, OPTIONS), { type: 'session.created', subject: /^sess_/ })
})

t.test('a Chaindoc sample of every 2.x event type (and later ones) is an envelope that verifies with a subject', async (t) => {
  const now = Date.parse('2026-04-03T10:00:00.000Z')
  for (const type of CHAINDOC_TYPES) {
    const body = sampleEvent('chaindoc', type, now)
    const headers = signChaindoc({ timestampIso: new Date(now).toISOString(), body, secret: 'webhook-secret' })
    const event = chaindoc.verify({ headers, body: Buffer.from(body) }, ['webhook-secret'], now, OPTIONS)
    t.match(event, { dedupKey: UUID, type, occurredAt: '2026-04-03T10:00:00.000Z', subject: UUID }, type)
    const { data } = JSON.parse(body) as { data: { status?: string } }
    if (data.status !== undefined) t.equal(data.status, type.split('.').at(-1), `${type}: the sample's status matches its type`)
  }
})

t.test('the provider map lists each provider under its own name', async (t) => {
  t.same([...providerNames].sort(), ['chaindoc', 'clerk', 'discord', 'github', 'gitlab', 'hmac', 'linear', 'meta', 'paddle', 'shopify', 'slack', 'square', 'standard-webhooks', 'stripe', 'twilio', 'zoom'])
  for (const name of providerNames) {
    t.equal(providers[name].name, name)
    t.type(providers[name].validateSecret, 'function')
    t.ok(providers[name].storedHeaders.every((h) => h === h.toLowerCase()), `${name} stores lower-case header names`)
  }
  t.ok(isProviderName('clerk'))
  t.notOk(isProviderName('toString'), 'inherited keys are not providers')
  t.notOk(isProviderName('no-such-provider'))
  t.ok(Object.isFrozen(providers) && Object.isFrozen(providerNames))
})
