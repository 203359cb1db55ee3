import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { Webhook } from 'svix'
import { clerk } from '../../providers/clerk.js'
import { sampleEvent } from '../../providers/samples.js'
import { signClerk } from '../../providers/sign.js'
import { verifierWallClock } from '../helper.js'

// docs/provider-specs.md §2.6 [derived]: a Clerk-shaped body under the official Svix secret.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'
const TS = '1674087231'
const NOW = Number(TS) * 1000
const BODY = Buffer.from('{"data":{"deleted":true,"id":"user_29wBMCtzATuFJut8jO2VNTVekS4","object":"user"},"object":"event","timestamp":1661861640000,"type":"user.deleted"}')
const SIGNATURE = 'v1,vlIAlBwo/xHWw6q0r3DmJ1OzIySPwVEBx1VRxsbzySM='
const OPTIONS = { toleranceMs: 300_000 }

type Headers = Record<string, string | undefined>
const headers = (signature = SIGNATURE, id = ID, timestamp = TS): Headers =>
  ({ 'svix-id': id, 'svix-timestamp': timestamp, 'svix-signature': signature })
const verify = (h: Headers = headers(), body: Buffer = BODY, secrets = [SECRET], now = NOW) =>
  clerk.verify({ headers: h, body }, secrets, now, OPTIONS)
/** Headers svix itself signs for `body` at the test clock. */
const signed = (body: string | Buffer, secret = SECRET): Headers => signClerk({ id: ID, timestampSec: Number(TS), body, secret })

function rejects (t: Test, fn: () => unknown, code: string, statusCode: number, secret = SECRET): void {
  let error: unknown
  try { fn() } catch (err) { error = err }
  t.match(error, { code, statusCode }, `throws ${code} (${statusCode})`)
  const message = error instanceof Error ? error.message : ''
  t.notOk(message.includes(secret.replace(/^whsec_/, '')), 'the message does not contain the secret')
}
const changeChar = (text: string, index: number): string =>
  text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1)

t.test('the §2.6 vector verifies and yields the svix id, type, subject and time', async (t) => {
  t.same(verify(), {
    dedupKey: ID,
    type: 'user.deleted',
    subject: 'user_29wBMCtzATuFJut8jO2VNTVekS4',
    occurredAt: '2022-08-30T12:14:00.000Z',
    payload: JSON.parse(BODY.toString())
  })
})

t.test('the §2.6 vector fails after a one-byte change to the body, id, timestamp or signature', async (t) => {
  const body = Buffer.from(BODY)
  body[20] = body[20]! ^ 0x01
  rejects(t, () => verify(headers(), body), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(SIGNATURE, changeChar(ID, 10))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(SIGNATURE, ID, '1674087232')), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(changeChar(SIGNATURE, 20))), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('rejects a request missing any one svix header', async (t) => {
  for (const name of ['svix-id', 'svix-timestamp', 'svix-signature']) {
    rejects(t, () => verify({ ...headers(), [name]: undefined }), 'HG_ERR_SIGNATURE_MISSING', 401)
  }
})

t.test('rejects a wrong secret and accepts a rotated second secret', async (t) => {
  const other = 'whsec_' + randomBytes(24).toString('base64')
  rejects(t, () => verify(headers(), BODY, [other]), 'HG_ERR_SIGNATURE_INVALID', 401, other)
  t.equal(verify(headers(), BODY, [other, SECRET]).dedupKey, ID)
})

t.test('the secret works with and without the whsec_ prefix', async (t) => {
  t.equal(verify(headers(), BODY, [SECRET.slice('whsec_'.length)]).dedupKey, ID)
})

t.test('rejects a timestamp 301 s old or ahead and accepts 300 s', async (t) => {
  t.ok(verify(headers(), BODY, [SECRET], NOW + 300_000))
  t.ok(verify(headers(), BODY, [SECRET], NOW - 300_000))
  rejects(t, () => verify(headers(), BODY, [SECRET], NOW + 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(headers(), BODY, [SECRET], NOW - 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(headers(SIGNATURE, ID, 'yesterday')), 'HG_ERR_TIMESTAMP_INVALID', 401)
})

t.test('accepts webhook-* headers (as svix does, though @clerk/backend reads only svix-*)', async (t) => {
  t.equal(verify({ 'webhook-id': ID, 'webhook-timestamp': TS, 'webhook-signature': SIGNATURE }).dedupKey, ID)
})

t.test('checks the signature before the body: a bad signature on a bad body is a 401', async (t) => {
  rejects(t, () => verify(headers(), Buffer.from('not json')), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('refuses a correctly signed body that is not a Clerk event with a 400', async (t) => {
  for (const body of ['not json', '', '[]', 'null', '"user.created"', '{"data":{}}', '{"type":42}', '{"type":""}', '{"type":"a"} trailing']) {
    rejects(t, () => verify(signed(body), Buffer.from(body)), 'HG_ERR_PAYLOAD_INVALID', 400)
  }
})

t.test('refuses a correctly signed body that is not UTF-8 with a 400, not a crash', async (t) => {
  // Bytes svix cannot sign (it hashes a decoded string), so signed here on the bytes.
  const body = Buffer.concat([Buffer.from('{"type":"user.created","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64')
  const signature = 'v1,' + createHmac('sha256', key).update(`${ID}.${TS}.`).update(body).digest('base64')
  rejects(t, () => verify(headers(signature), body), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('leaves subject and time out when the body does not give them usably', async (t) => {
  const cases = [
    { type: 'user.created' },
    { type: 'user.created', data: { id: 42 }, timestamp: '1661861640000' },
    { type: 'user.created', data: 'user_1', timestamp: 1e20 },
    { type: 'user.created', data: null, timestamp: Number.MAX_VALUE }
  ]
  for (const event of cases) {
    const body = JSON.stringify(event)
    const result = verify(signed(body), Buffer.from(body))
    t.equal(result.type, 'user.created')
    t.equal(result.subject, undefined)
    t.equal(result.occurredAt, undefined)
  }
})

t.test('verifies a svix-signed user.created sample and agrees with svix on its payload', async (t) => {
  const now = verifierWallClock()
  const body = sampleEvent('clerk', 'user.created', now)
  const id = `msg_${randomUUID()}`
  const h = signClerk({ id, timestampSec: Math.floor(now / 1000), body, secret: SECRET })
  const result = clerk.verify({ headers: h, body: Buffer.from(body) }, [SECRET], now, OPTIONS)
  t.equal(result.dedupKey, id)
  t.equal(result.type, 'user.created')
  t.match(result.subject, /^user_/)
  t.equal(result.occurredAt, new Date(now).toISOString())
  t.doesNotThrow(() => new Webhook(SECRET).verify(body, h as Record<string, string>))
  t.same(result.payload, JSON.parse(body.toString()))
})

t.test('names itself clerk, keeps both header families and vets secrets', async (t) => {
  t.equal(clerk.name, 'clerk')
  t.same([...clerk.storedHeaders].sort(), ['svix-id', 'svix-signature', 'svix-timestamp', 'webhook-id', 'webhook-signature', 'webhook-timestamp'])
  t.equal(clerk.validateSecret?.(SECRET), null)
  t.match(clerk.validateSecret?.('whsec_!!!'), /not base64/)
  t.ok(Object.isFrozen(clerk))
})
