import { createHmac } from 'node:crypto'
import t from 'tap'
import { linear } from '../../providers/linear.js'
import { samples } from '../../providers/samples.js'
import { changeChar, flipByte, rejects } from './support.js'

// Linear publishes no vector; this one is computed from its documented scheme (hex HMAC-SHA256 of the raw body).
const SECRET = 'lin_wh_0123456789abcdef'
const NOW = 1_700_000_000_000
const BODY = `{"action":"create","type":"Issue","createdAt":"2023-11-14T22:13:20.000Z","data":{"id":"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9","title":"Bug"},"webhookTimestamp":${NOW}}`
const mac = (body: string | Buffer, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex')
const DELIVERY = '234d1a4e-b617-4388-90fe-adc3633d6b72'

const verify = (signature: string | undefined, body: Buffer | string = BODY, secrets = [SECRET], now = NOW) =>
  linear.verify({ headers: { 'linear-signature': signature, 'linear-delivery': DELIVERY }, body: Buffer.from(body) }, secrets, now, { toleranceMs: 60_000 })

t.test('a signed delivery verifies and yields the delivery id, Issue.create, the issue id and its time', async (t) => {
  t.same(verify(mac(BODY)), {
    dedupKey: DELIVERY, type: 'Issue.create', subject: '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9', occurredAt: '2023-11-14T22:13:20.000Z', payload: JSON.parse(BODY)
  })
})

t.test('a one-byte change of the body, the signature or the signed timestamp fails', async (t) => {
  rejects(t, () => verify(mac(BODY), flipByte(BODY, 12)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(changeChar(mac(BODY), 9)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(mac(BODY), BODY.replace(String(NOW), String(NOW + 1))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(mac(BODY, 'other')), 'HG_ERR_SIGNATURE_INVALID', 401, [SECRET])
})

t.test('refuses a webhookTimestamp beyond the tolerance either way, or none', async (t) => {
  t.ok(verify(mac(BODY), BODY, [SECRET], NOW + 60_000))
  rejects(t, () => verify(mac(BODY), BODY, [SECRET], NOW + 60_001), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(mac(BODY), BODY, [SECRET], NOW - 60_001), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  const untimed = '{"action":"create","type":"Issue","data":{}}'
  rejects(t, () => verify(mac(untimed), untimed), 'HG_ERR_TIMESTAMP_INVALID', 401)
})

t.test('refuses a missing, prefixed or duplicated signature and a signed body that is not JSON', async (t) => {
  rejects(t, () => verify(undefined), 'HG_ERR_SIGNATURE_MISSING', 401)
  for (const bad of [`sha256=${mac(BODY)}`, `${mac(BODY)}, ${mac(BODY)}`, Buffer.from(mac(BODY), 'hex').toString('base64')]) rejects(t, () => verify(bad), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(mac('nope'), 'nope'), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('the sample carries its timestamp in the body and verifies with a rotated secret list', async (t) => {
  const body = samples.linear.body('Comment.update', NOW)
  const headers = samples.linear.sign(body, SECRET, NOW, 'Comment.update')
  t.match(linear.verify({ headers, body: Buffer.from(body) }, ['old', SECRET], NOW, { toleranceMs: 300_000 }), { type: 'Comment.update' })
  t.equal(headers['linear-event'], 'Comment')
})
