import { createHmac, randomBytes, randomInt } from 'node:crypto'
import t, { type Test } from 'tap'
import { Webhook } from 'svix'
import { validateStandardWebhooksSecret, verifyStandardWebhook } from '../../providers/standard-webhooks.js'
import { verifierWallClock } from '../helper.js'

// docs/provider-specs.md §1.9: the official vector and the three derived rows.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
const TS = '1614265330'
const NOW = Number(TS) * 1000
const OPTIONS = { toleranceMs: 300_000 }
const vectors = [
  { name: 'the official vector', body: Buffer.from('{"test": 2432232314}'), signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
  { name: 'the derived vector with a trailing LF', body: Buffer.from('{"test": 2432232314}\n'), signature: 'v1,FIt3hYjPQCdyuyMOw+0dZwwjGRAx1Il4CsgdFnOmrcc=' },
  { name: 'the derived vector with an empty body', body: Buffer.alloc(0), signature: 'v1,v48jdbgvh29KJz2Qc+ghw8G6vG3nAKnujWBg8oM/62A=' },
  {
    name: 'the derived vector with UTF-8 beyond ASCII',
    body: Buffer.from('7b226e616d65223a225a6fc3ab20f09f988a227d', 'hex'),
    signature: 'v1,yV06fvsjuz5WTu/n6kLA74t+5CIItWVT/wzGSWLort0='
  }
]
const official = vectors[0]!

type Headers = Record<string, string | undefined>
const svixHeaders = (signature = official.signature, id = ID, timestamp = TS): Headers =>
  ({ 'svix-id': id, 'svix-timestamp': timestamp, 'svix-signature': signature })
const webhookHeaders = (signature = official.signature): Headers =>
  ({ 'webhook-id': ID, 'webhook-timestamp': TS, 'webhook-signature': signature })
const verify = (headers: Headers, body: Buffer = official.body, secrets = [SECRET], now = NOW, options = OPTIONS) =>
  verifyStandardWebhook({ headers, body }, secrets, now, options)

function rejects (t: Test, fn: () => unknown, code: string, statusCode = 401, secrets: readonly string[] = [SECRET]): Error {
  let error: unknown
  try { fn() } catch (err) { error = err }
  t.match(error, { code, statusCode }, `throws ${code} (${statusCode})`)
  const message = error instanceof Error ? error.message : ''
  for (const secret of secrets) {
    t.notOk(message.includes(secret) || message.includes(secret.replace(/^whsec_/, '')), 'the message does not contain the secret')
  }
  return error as Error
}

/** The same string with the character at `index` replaced by another one. */
function changeChar (text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A'
  return text.slice(0, index) + replacement + text.slice(index + 1)
}
function changeByte (body: Buffer): Buffer {
  if (body.length === 0) return Buffer.from(' ')
  const copy = Buffer.from(body)
  copy[copy.length - 1] = copy.at(-1)! ^ 0x01
  return copy
}
function signRaw (body: Buffer, secret = SECRET, id = ID, timestamp = TS): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')
}

for (const vector of vectors) {
  t.test(`${vector.name} verifies with the clock at its timestamp`, async (t) => {
    t.same(verify(svixHeaders(vector.signature), vector.body), { id: ID, timestampSec: Number(TS) })
  })
  t.test(`${vector.name} fails after a one-byte change to the body, id, timestamp or signature`, async (t) => {
    rejects(t, () => verify(svixHeaders(vector.signature), changeByte(vector.body)), 'HG_ERR_SIGNATURE_INVALID')
    rejects(t, () => verify(svixHeaders(vector.signature, changeChar(ID, ID.length - 1)), vector.body), 'HG_ERR_SIGNATURE_INVALID')
    rejects(t, () => verify(svixHeaders(vector.signature, ID, '1614265331'), vector.body), 'HG_ERR_SIGNATURE_INVALID')
    rejects(t, () => verify(svixHeaders(changeChar(vector.signature, 10)), vector.body), 'HG_ERR_SIGNATURE_INVALID')
  })
}

t.test('the secret works with and without the whsec_ prefix', async (t) => {
  t.ok(verify(svixHeaders(), official.body, [SECRET]))
  t.ok(verify(svixHeaders(), official.body, [SECRET.slice('whsec_'.length)]))
})

t.test('rejects a wrong secret', async (t) => {
  const other = 'whsec_' + randomBytes(24).toString('base64')
  rejects(t, () => verify(svixHeaders(), official.body, [other]), 'HG_ERR_SIGNATURE_INVALID', 401, [other])
})

t.test('accepts when the second of two rotated secrets matches, in either order', async (t) => {
  const old = 'whsec_' + randomBytes(32).toString('base64')
  t.ok(verify(svixHeaders(), official.body, [old, SECRET]))
  t.ok(verify(svixHeaders(), official.body, [SECRET, old]))
  rejects(t, () => verify(svixHeaders(), official.body, []), 'HG_ERR_SIGNATURE_INVALID')
})

t.test('finds the one valid v1 entry among v2, v1a, garbage and blank entries', async (t) => {
  const valid = official.signature
  const header = `v2,${valid.slice(3)} v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== ` +
    `garbage v1,dawfeoifkpqwoekfpqoekf  v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${valid} v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=`
  t.ok(verify(svixHeaders(header)))
})

t.test('a repeated signature header, as Node joins it with ", ", verifies whatever the order', async (t) => {
  const bad = 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='
  t.ok(verify(svixHeaders(`${bad}, ${official.signature}`)), 'bad then good')
  t.ok(verify(svixHeaders(`${official.signature}, ${bad}`)), 'good then bad')
  t.ok(verify(svixHeaders(`${bad} ${bad}, ${official.signature} ${bad}`)), 'lists in both headers')
  rejects(t, () => verify(svixHeaders(`${bad}, ${bad}`)), 'HG_ERR_SIGNATURE_INVALID')
  rejects(t, () => verify(svixHeaders(`${official.signature.slice(0, -2)},=`)), 'HG_ERR_SIGNATURE_INVALID')
})

t.test('rejects the official negative fixtures and non-v1 versions of a valid signature', async (t) => {
  const sig = official.signature.slice(3)
  for (const header of ['v1,dawfeoifkpqwoekfpqoekf', official.signature.slice(0, 8), 'v1,', `v2,${sig}`, `V1,${sig}`, `v1a,${sig}`,
    `v1,${sig.replace(/=+$/, '')}`, `v1,${sig}=`, `v1,${sig}ŧ`, `v1,ŧ${sig.slice(1)}` /* U+0167 would alias 'g' in latin1 */, sig]) {
    rejects(t, () => verify(svixHeaders(header)), 'HG_ERR_SIGNATURE_INVALID')
  }
})

t.test('reports each missing header by name, and counts a blank value as missing', async (t) => {
  for (const name of ['svix-id', 'svix-timestamp', 'svix-signature']) {
    const error = rejects(t, () => verify({ ...svixHeaders(), [name]: undefined }), 'HG_ERR_SIGNATURE_MISSING')
    t.match(error.message, name)
    rejects(t, () => verify({ ...svixHeaders(), [name]: '  ' }), 'HG_ERR_SIGNATURE_MISSING')
  }
  const error = rejects(t, () => verify({}), 'HG_ERR_SIGNATURE_MISSING')
  t.match(error.message, /svix-id\|webhook-id, svix-timestamp\|webhook-timestamp, svix-signature\|webhook-signature/)
})

t.test('trims whitespace around header values, as Clerk does', async (t) => {
  t.ok(verify(svixHeaders(` ${official.signature} `, ` ${ID}\t`, ` ${TS} `)))
})

t.test('accepts a timestamp exactly 300 s old or ahead and rejects 301 s either way', async (t) => {
  t.ok(verify(svixHeaders(), official.body, [SECRET], NOW + 300_000))
  t.ok(verify(svixHeaders(), official.body, [SECRET], NOW - 300_000))
  t.match(rejects(t, () => verify(svixHeaders(), official.body, [SECRET], NOW + 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE').message, /too old/)
  t.match(rejects(t, () => verify(svixHeaders(), official.body, [SECRET], NOW - 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE').message, /too new/)
})

t.test('applies the configured tolerance to the millisecond', async (t) => {
  t.ok(verify(svixHeaders(), official.body, [SECRET], NOW, { toleranceMs: 0 }))
  rejects(t, () => verify(svixHeaders(), official.body, [SECRET], NOW + 1, { toleranceMs: 0 }), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE')
})

t.test('rejects a timestamp that is not plain integer seconds', async (t) => {
  for (const timestamp of ['abc', '1614265330.9', '1614265330abc', '-1614265330', '1.6e9', '0x6037EE32', '+1614265330', '1614265330 1']) {
    rejects(t, () => verify(svixHeaders(official.signature, ID, timestamp)), 'HG_ERR_TIMESTAMP_INVALID')
  }
  rejects(t, () => verify(svixHeaders(official.signature, ID, '9'.repeat(400))), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE')
})

t.test('signs the timestamp header text as received, leading zeros included', async (t) => {
  rejects(t, () => verify(svixHeaders(official.signature, ID, '0' + TS)), 'HG_ERR_SIGNATURE_INVALID')
  t.ok(verify(svixHeaders(signRaw(official.body, SECRET, ID, '0' + TS), ID, '0' + TS)))
})

t.test('accepts webhook-* headers alone', async (t) => {
  t.same(verify(webhookHeaders()), { id: ID, timestampSec: Number(TS) })
})

t.test('prefers each svix-* header over its webhook-* twin, as svix 1.99 does', async (t) => {
  const bad = changeChar(official.signature, 10)
  rejects(t, () => verify({ ...webhookHeaders(), ...svixHeaders(bad) }), 'HG_ERR_SIGNATURE_INVALID')
  t.ok(verify({ ...webhookHeaders(bad), ...svixHeaders() }))
  t.ok(verify({ 'svix-id': ID, 'webhook-timestamp': TS, 'webhook-signature': official.signature }))
  // An empty svix-signature is present, so it is not replaced (svix: `??`).
  rejects(t, () => verify({ ...webhookHeaders(), 'svix-signature': '' }), 'HG_ERR_SIGNATURE_MISSING')
})

t.test('hashes the raw bytes, so a body that is not UTF-8 verifies (as svix 2 does when given a Buffer)', async (t) => {
  const body = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])
  const now = verifierWallClock()
  const ts = String(Math.floor(now / 1000))
  const signature = signRaw(body, SECRET, ID, ts)
  t.ok(verify(svixHeaders(signature, ID, ts), body, [SECRET], now))
  t.doesNotThrow(() => new Webhook(SECRET).verify(body, { 'svix-id': ID, 'svix-timestamp': ts, 'svix-signature': signature }))
})

t.test('never matches with a secret too short or malformed to be a key', async (t) => {
  const empty = 'v1,' + createHmac('sha256', Buffer.alloc(0)).update(`${ID}.${TS}.`).update(official.body).digest('base64')
  rejects(t, () => verify(svixHeaders(empty), official.body, ['whsec_']), 'HG_ERR_SIGNATURE_INVALID', 401, [])
  const short = 'whsec_' + Buffer.from('12345678').toString('base64')
  rejects(t, () => verify(svixHeaders(signRaw(official.body, short)), official.body, [short]), 'HG_ERR_SIGNATURE_INVALID', 401, [short])
})

t.test('keeps verifying correctly past the key cache bound', async (t) => {
  const secrets = Array.from({ length: 1100 }, () => 'whsec_' + randomBytes(24).toString('base64'))
  for (const secret of [...secrets, ...secrets.slice(0, 5)]) {
    const result = verify(svixHeaders(signRaw(official.body, secret)), official.body, [secret])
    if (result.id !== ID) t.fail('did not verify')
  }
  t.pass('all 1105 verified')
})

t.test('agrees with svix Webhook.verify on random bodies, secrets and one-byte changes', async (t) => {
  for (let i = 0; i < 200; i++) {
    const secret = 'whsec_' + randomBytes(randomInt(16, 65)).toString('base64')
    const text = JSON.stringify({ i, s: Array.from({ length: randomInt(0, 200) }, randomCodePoint).join('') })
    const id = `msg_${randomBytes(15).toString('hex')}`
    const now = verifierWallClock()
    const timestamp = String(Math.floor(now / 1000))
    const signature = new Webhook(secret).sign(id, new Date(now), text)
    const headers = { 'svix-id': id, 'svix-timestamp': timestamp, 'svix-signature': signature }
    const body = Buffer.from(text)
    const ours = verifyStandardWebhook({ headers, body }, [secret], now, OPTIONS)
    if (ours.id !== id) t.fail('ours did not verify')
    t.doesNotThrow(() => new Webhook(secret).verify(body, headers), 'svix verifies it too')
    const changed = Buffer.from(body)
    const at = randomInt(0, changed.length)
    changed[at] = changed[at]! ^ (1 << randomInt(0, 7))
    t.throws(() => verifyStandardWebhook({ headers, body: changed }, [secret], now, OPTIONS), { code: 'HG_ERR_SIGNATURE_INVALID' })
    t.throws(() => new Webhook(secret).verify(changed, headers))
  }
})

function randomCodePoint (): string {
  const ranges = [[0x20, 0x7e], [0xa0, 0x7ff], [0x800, 0xd7ff], [0xe000, 0xfffd], [0x10000, 0x10ffff]] as const
  const [low, high] = ranges[randomInt(0, ranges.length)]!
  return String.fromCodePoint(randomInt(low, high + 1))
}

t.test('validateStandardWebhooksSecret accepts real secrets and names the problem with bad ones', async (t) => {
  t.equal(validateStandardWebhooksSecret(SECRET), null)
  t.equal(validateStandardWebhooksSecret(SECRET.slice('whsec_'.length)), null)
  t.equal(validateStandardWebhooksSecret('whsec_' + randomBytes(64).toString('base64')), null)
  t.equal(validateStandardWebhooksSecret('whsec_' + randomBytes(31).toString('base64').replace(/=+$/, '')), null, 'unpadded')
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['whsec_', /not base64/],
    ['whsec_!!!', /not base64/],
    [' ' + SECRET, /not base64/],
    [SECRET + '\n', /not base64/],
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La-aSw', /not base64/],
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwQ', /not base64/],
    ['whsec_' + Buffer.from('12345678').toString('base64'), /decodes to 8 bytes; at least 16/],
    ['whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==', /asymmetric/],
    ['whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=', /asymmetric/]
  ]
  for (const [secret, problem] of bad) {
    const message = validateStandardWebhooksSecret(secret)
    t.match(message, problem, JSON.stringify(secret))
    if (secret.length > 8) t.notOk(message?.includes(secret.trim().replace(/^wh\w\w_/, '')), 'the problem does not quote the secret')
  }
})
