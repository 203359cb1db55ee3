import { createHmac } from 'node:crypto'
import t from 'tap'
import { samples } from '../../providers/samples.js'
import { square } from '../../providers/square.js'
import { parseConfig } from '../../src/config/load.js'
import { changeChar, flipByte, rejects } from './support.js'

// Square publishes the scheme (URL + body) without a fixed vector; computed from it.
const KEY = 'asdf1234asdf1234asdf12'
const URL_ = 'https://example.com/webhook'
const BODY = '{"merchant_id":"6SSW7HV8K2ST5","type":"payment.created","event_id":"13b867cf-db3d-4b1c-90b6-2f32a9d78124","created_at":"2025-01-01T00:00:00Z","data":{"type":"payment","id":"KkAkhdMsgzn59SM8A89WgKwekxLZY"}}'
const sign = (body: string | Buffer, url = URL_, key = KEY) => createHmac('sha256', key).update(url).update(body).digest('base64')
const options = (publicUrl = URL_) => { const parsed = square.parseOptions!({ publicUrl }); if (!('options' in parsed)) throw new Error(parsed.problems.join()); return parsed.options }

const verify = (signature: string | undefined, body: Buffer | string = BODY, secrets = [KEY], publicUrl = URL_) =>
  square.verify({ headers: { 'x-square-hmacsha256-signature': signature }, body: Buffer.from(body) }, secrets, 0, { toleranceMs: 300_000, options: options(publicUrl) })

t.test('a notification signed over URL + body verifies and yields event_id, type, subject and time', async (t) => {
  t.same(verify(sign(BODY)), {
    dedupKey: '13b867cf-db3d-4b1c-90b6-2f32a9d78124', type: 'payment.created', subject: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
    occurredAt: '2025-01-01T00:00:00Z', payload: JSON.parse(BODY)
  })
})

t.test('a one-byte change of the body, the signature or the URL fails', async (t) => {
  rejects(t, () => verify(sign(BODY), flipByte(BODY, 20)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(changeChar(sign(BODY), 4)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(sign(BODY), BODY, [KEY], URL_ + '/'), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(sign(BODY, URL_, 'other')), 'HG_ERR_SIGNATURE_INVALID', 401, [KEY])
  t.ok(verify(sign(BODY, URL_, 'old'), BODY, [KEY, 'old']), 'a second key while rotating')
})

t.test('refuses a missing, hex, unpadded or duplicated signature and a signed body that is not JSON', async (t) => {
  rejects(t, () => verify(undefined), 'HG_ERR_SIGNATURE_MISSING', 401)
  for (const bad of [Buffer.from(sign(BODY), 'base64').toString('hex'), sign(BODY).slice(0, -1), `${sign(BODY)}, ${sign(BODY)}`]) rejects(t, () => verify(bad), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(sign('nope'), 'nope'), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('the config requires publicUrl, an http(s) URL, and nothing else', async (t) => {
  const config = (opts?: Record<string, unknown>) => ({ server: { host: '127.0.0.1' }, sources: { sq: { provider: 'square', secret: KEY, ...(opts === undefined ? {} : { options: opts }) } } })
  t.throws(() => parseConfig(config(), {}), { message: /sources\.sq\.options: publicUrl: required/ })
  t.throws(() => parseConfig(config({ publicUrl: 'example.com/hook' }), {}), { message: /publicUrl: not an http\(s\) URL/ })
  t.throws(() => parseConfig(config({ publicUrl: URL_, url: URL_ }), {}), { message: /unknown key 'url'/ })
  t.same(parseConfig(config({ publicUrl: URL_ }), {}).sources.sq!.options, { publicUrl: URL_ })
})

t.test('the sample signs over the publicUrl', async (t) => {
  const body = samples.square.body('invoice.paid', 0)
  t.match(verify(samples.square.sign(body, KEY, 0, 'invoice.paid', options())['x-square-hmacsha256-signature'], body), { type: 'invoice.paid' })
})
