import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { providers } from '../../providers/index.js'
import { samples } from '../../providers/samples.js'
import { standardWebhooks } from '../../providers/standard-webhooks-provider.js'
import { changeChar, flipByte, rejects } from './support.js'
import { verifierWallClock } from '../helper.js'

// docs/provider-specs.md §1.9, both official vectors (same id, timestamp and payload).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const PUBLIC_KEY = 'whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4='
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
const TS = '1614265330'
const NOW = Number(TS) * 1000
const VECTOR_BODY = '{"test": 2432232314}'
const V1 = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
const V1A = 'v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=='
const OPTIONS = { toleranceMs: 300_000 }

type Headers = Record<string, string | undefined>
const headers = (signature: string, id = ID, timestamp = TS): Headers => ({ 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature })
const verify = (h: Headers, body: Buffer | string, secrets: string[], now = NOW) =>
  standardWebhooks.verify({ headers: h, body: Buffer.from(body) }, secrets, now, OPTIONS)
/** The official vectors carry no `type`: their signatures hold, and only then is the body refused. */
const signatureHolds = (h: Headers, secrets: string[]) => rejects(t, () => verify(h, VECTOR_BODY, secrets), 'HG_ERR_PAYLOAD_INVALID', 400)

t.test('both §1.9 vectors pass the signature check (v1 with whsec_, v1a with whpk_)', async (t) => {
  rejects(t, () => verify(headers(V1), VECTOR_BODY, [SECRET]), 'HG_ERR_PAYLOAD_INVALID', 400)
  rejects(t, () => verify(headers(V1A), VECTOR_BODY, [PUBLIC_KEY]), 'HG_ERR_PAYLOAD_INVALID', 400)
  signatureHolds(headers(`${V1} ${V1A}`), [PUBLIC_KEY])
  signatureHolds(headers(`${V1A} ${V1}`), [PUBLIC_KEY, SECRET])
})

t.test('a one-byte change to the body, id, timestamp or either signature fails', async (t) => {
  for (const [signature, key] of [[V1, SECRET], [V1A, PUBLIC_KEY]] as const) {
    rejects(t, () => verify(headers(signature), flipByte(VECTOR_BODY, 3), [key]), 'HG_ERR_SIGNATURE_INVALID', 401)
    rejects(t, () => verify(headers(signature, changeChar(ID, 8)), VECTOR_BODY, [key]), 'HG_ERR_SIGNATURE_INVALID', 401)
    rejects(t, () => verify(headers(signature, ID, '1614265331'), VECTOR_BODY, [key]), 'HG_ERR_SIGNATURE_INVALID', 401)
    rejects(t, () => verify(headers(changeChar(signature, 12)), VECTOR_BODY, [key]), 'HG_ERR_SIGNATURE_INVALID', 401)
  }
})

t.test('a v1a signature does not verify against a whsec_ secret, nor a v1 against a whpk_ key', async (t) => {
  rejects(t, () => verify(headers(V1A), VECTOR_BODY, [SECRET]), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(V1), VECTOR_BODY, [PUBLIC_KEY]), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('verifies what the standardwebhooks library signs, and returns id, type, subject and time', async (t) => {
  const now = verifierWallClock()
  const body = samples['standard-webhooks'].body('invoice.paid', now)
  const id = `msg_${randomBytes(8).toString('hex')}`
  const signature = new Webhook(SECRET).sign(id, new Date(now), body)
  const result = verify(headers(signature, id, String(Math.floor(now / 1000))), body, [SECRET], now)
  t.match(result, { dedupKey: id, type: 'invoice.paid', subject: /^resp_/, occurredAt: new Date(now).toISOString() })
  const ours = samples['standard-webhooks'].sign(body, SECRET, now, 'invoice.paid')
  t.doesNotThrow(() => new Webhook(SECRET).verify(body, ours as Record<string, string>), 'and the library accepts our sample')
})

t.test('rotation from a whsec_ secret to an ed25519 key: either in one list verifies', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const whpk = 'whpk_' + Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64')
  const body = JSON.stringify({ type: 'email.sent', timestamp: '2021-02-25T15:02:10Z', data: { id: 'em_1' } })
  const v1a = 'v1a,' + sign(null, Buffer.from(`${ID}.${TS}.${body}`), privateKey).toString('base64')
  t.equal(verify(headers(v1a), body, [SECRET, whpk]).dedupKey, ID)
  t.equal(verify(headers(new Webhook(SECRET).sign(ID, new Date(NOW), body)), body, [SECRET, whpk]).dedupKey, ID)
  rejects(t, () => verify(headers(v1a), body, [SECRET, PUBLIC_KEY]), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers('v1a,' + randomBytes(32).toString('base64')), body, [whpk]), 'HG_ERR_SIGNATURE_INVALID', 401, [])
})

t.test('refuses stale and future timestamps and missing headers', async (t) => {
  rejects(t, () => verify(headers(V1), VECTOR_BODY, [SECRET], NOW + 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(headers(V1A), VECTOR_BODY, [PUBLIC_KEY], NOW - 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify({ ...headers(V1), 'webhook-id': undefined }, VECTOR_BODY, [SECRET]), 'HG_ERR_SIGNATURE_MISSING', 401)
})

t.test('vets secrets: whsec_ and whpk_ are accepted, a whsk_ private key or a short key is not', async (t) => {
  t.equal(standardWebhooks.validateSecret?.(SECRET), null)
  t.equal(standardWebhooks.validateSecret?.(PUBLIC_KEY), null)
  t.match(standardWebhooks.validateSecret?.('whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=='), /private key/)
  t.match(standardWebhooks.validateSecret?.('whpk_AAAA'), /3 bytes/)
  t.match(providers.clerk.validateSecret?.(PUBLIC_KEY), /not supported/, 'Clerk still signs with whsec_ only')
  t.throws(() => samples['standard-webhooks'].sign('{}', PUBLIC_KEY, NOW, 'x'), /public key only verifies/)
})
