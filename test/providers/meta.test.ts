import { createHmac } from 'node:crypto'
import t, { type Test } from 'tap'
import { meta } from '../../providers/meta.js'
import { samples } from '../../providers/samples.js'
import { signMeta } from '../../providers/sign.js'
import { isHandshake, type VerifiedEvent } from '../../providers/types.js'
import { build, TestClock } from '../helper.js'
import { storedEvents } from '../fixtures/events.js'

const SECRET = 'meta-app-secret-0123456789abcdef'
const TOKEN = 'verify-token-0123456789'
const NOW = Date.UTC(2026, 3, 5, 6, 7, 8)
const OPTIONS = { toleranceMs: 300_000, options: { verifyToken: TOKEN } }
// A WhatsApp Cloud API messages notification, as Meta's docs show it.
const BODY = '{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","text":{"body":"Does it come in another color?"},"type":"text"}]},"field":"messages"}]}]}'

type Headers = Record<string, string | undefined>
const sig = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
const verify = (h: Headers, body: string, secrets = [SECRET]) => meta.verify({ headers: h, body: Buffer.from(body), method: 'POST' }, secrets, NOW, OPTIONS)
const get = (query: string, verifyToken: string | null = TOKEN) => meta.verify({ headers: {}, body: Buffer.alloc(0), method: 'GET', query: new URLSearchParams(query) }, [SECRET], NOW, { toleranceMs: 300_000, ...(verifyToken === null ? {} : { options: { verifyToken } }) })
const event = (r: ReturnType<typeof verify>): VerifiedEvent => { if (isHandshake(r)) throw new Error('a handshake'); return r }

function rejects (t: Test, fn: () => unknown, code: string, statusCode: number): void {
  let error: unknown
  try { fn() } catch (err) { error = err }
  t.match(error, { code, statusCode }, `throws ${code} (${statusCode})`)
  t.notOk(String((error as Error | undefined)?.message).includes(TOKEN), 'the message does not carry the token')
}

t.test('an event signed with the app secret verifies: object + first changed field, keyed on the digest', async (t) => {
  const result = event(verify({ 'x-hub-signature-256': sig(BODY) }, BODY))
  t.match(result, { type: 'whatsapp_business_account.messages', subject: '102290129340398', dedupKey: /^sha256:[0-9a-f]{64}$/ })
  const messenger = '{"object":"page","entry":[{"id":"1","time":1458692752478,"messaging":[{"sender":{"id":"2"},"message":{"text":"hi"}}]}]}'
  t.match(event(verify({ 'x-hub-signature-256': sig(messenger) }, messenger)), { type: 'page.messaging', occurredAt: '2016-03-23T00:25:52.478Z' })
})

t.test('a one-byte change, another secret, a missing or mis-prefixed header fail', async (t) => {
  rejects(t, () => verify({ 'x-hub-signature-256': sig(BODY) }, BODY.replace('color', 'colour')), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({ 'x-hub-signature-256': sig(BODY, 'other-secret') }, BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({}, BODY), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => verify({ 'x-hub-signature-256': sig(BODY).replace('sha256=', 'sha1=') }, BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({ 'x-hub-signature-256': sig(BODY).slice(7) }, BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({ 'x-hub-signature-256': 'sha256=' + Buffer.from(sig(BODY).slice(7), 'hex').toString('base64') }, BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
  t.ok(verify({ 'x-hub-signature-256': sig(BODY) }, BODY, ['old-secret', SECRET]), 'any listed secret')
})

t.test('a signed body that is not a Meta notification is a 400', async (t) => {
  for (const body of ['not json', '{"entry":[]}', '{"object":"page"}', '[1]']) {
    rejects(t, () => verify({ 'x-hub-signature-256': sig(body) }, body), 'HG_ERR_PAYLOAD_INVALID', 400)
  }
})

t.test('the GET subscription check answers the challenge only for the configured verify token', async (t) => {
  t.same(get(`hub.mode=subscribe&hub.verify_token=${TOKEN}&hub.challenge=1158201444`), { reply: { status: 200, headers: { 'content-type': 'text/plain' }, body: '1158201444' } })
  rejects(t, () => get('hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444'), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => get(`hub.mode=subscribe&hub.verify_token=${TOKEN}&hub.challenge=1`, null), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => get(`hub.mode=unsubscribe&hub.verify_token=${TOKEN}&hub.challenge=1`), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => get(`hub.mode=subscribe&hub.verify_token=${TOKEN}&hub.verify_token=x&hub.challenge=1`), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => get(`hub.mode=subscribe&hub.verify_token=${TOKEN}&hub.challenge=%3Cscript%3E`), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('through the gateway: GET answers the challenge and stores nothing; a signed event is stored once', async (t) => {
  const { app } = await build(t, { clock: new TestClock(NOW), config: { sources: { meta: { provider: 'meta', secret: SECRET, options: { verifyToken: TOKEN } } } } })
  const res = await app.inject({ method: 'GET', url: `/webhooks/meta?hub.mode=subscribe&hub.verify_token=${TOKEN}&hub.challenge=42` })
  t.equal(res.statusCode, 200)
  t.equal(res.body, '42')
  t.equal((await storedEvents(app)).length, 0)
  const body = samples.meta.body('whatsapp_business_account.messages', NOW)
  for (const duplicate of [false, true]) {
    const ev = await app.inject({ method: 'POST', url: '/webhooks/meta', headers: samples.meta.sign(body, SECRET, NOW, samples.meta.defaultType), payload: body })
    t.match(ev.json(), { duplicate })
  }
  t.match(await storedEvents(app), [{ provider: 'meta', type: 'whatsapp_business_account.messages' }])
  t.same(signMeta({ body, secret: SECRET })['x-hub-signature-256'], sig(body))
})

t.test('options.verifyToken is required on a meta source and refused on others', async (t) => {
  await t.rejects(build(t, { config: { sources: { clerk: { provider: 'clerk', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', options: { verifyToken: TOKEN } } } } }), { message: /sources\.clerk\.options: provider 'clerk' takes no options/ })
  await t.rejects(build(t, { config: { sources: { meta: { provider: 'meta', secret: SECRET } } } }), { message: /sources\.meta\.options: verifyToken: required, the verify token you give Meta's dashboard/ })
  t.same(meta.parseOptions!({ verifyToken: TOKEN, verify_token: 'x' }), { problems: ["unknown key 'verify_token' (known: verifyToken)"] })
})
