import { createHmac } from 'node:crypto'
import t from 'tap'
import { samples } from '../../providers/samples.js'
import { shopify } from '../../providers/shopify.js'
import { changeChar, flipByte, NOW, rejects } from './support.js'

// docs/provider-specs.md §4.3 [derived].
const SECRET = 'shpss_test_secret'
const BODY = '{"id":1,"email":"a@example.com"}'
const HMAC = 'XWB0+SxlvAEC3yNDPg512nnLhRAHtq9+JjdiDTdy0N0='
const WEBHOOK_ID = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043'

type Headers = Record<string, string | undefined>
const headers = (hmac = HMAC): Headers => ({
  'x-shopify-hmac-sha256': hmac, 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': WEBHOOK_ID,
  'x-shopify-triggered-at': '2025-03-01T12:00:00.000Z', 'x-shopify-shop-domain': 'example.myshopify.com'
})
const verify = (h: Headers, body: Buffer | string, secrets = [SECRET]) => shopify.verify({ headers: h, body: Buffer.from(body) }, secrets, 0, { toleranceMs: 300_000 })

t.test('the §4.3 vector verifies and yields the webhook id, topic, subject and time', async (t) => {
  t.same(verify(headers(), BODY), {
    dedupKey: WEBHOOK_ID, type: 'orders/create', subject: '1', occurredAt: '2025-03-01T12:00:00.000Z', payload: JSON.parse(BODY)
  })
})

t.test('a one-byte change to the body or the HMAC fails, as does another secret', async (t) => {
  rejects(t, () => verify(headers(), flipByte(BODY, 5)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(changeChar(HMAC, 7)), BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(), BODY, ['shpss_other']), 'HG_ERR_SIGNATURE_INVALID', 401, [SECRET])
})

t.test('during a rotation the old and the new secret both verify', async (t) => {
  t.equal(verify(headers(), BODY, ['shpss_new', SECRET]).dedupKey, WEBHOOK_ID)
})

t.test('our sample signs as Shopify does: base64 HMAC of the exact body', async (t) => {
  const body = samples.shopify.body('orders/create', NOW)
  const signed = samples.shopify.sign(body, SECRET, NOW, 'orders/paid')
  t.equal(signed['x-shopify-hmac-sha256'], createHmac('sha256', SECRET).update(body).digest('base64'))
  t.match(verify(signed, body), { type: 'orders/paid', subject: 'gid://shopify/Order/820982911946154508' })
})

t.test('reads the unprefixed shopify-* headers of the Events product', async (t) => {
  t.match(verify({ 'shopify-hmac-sha256': HMAC, 'shopify-topic': 'orders/create' }, BODY), { type: 'orders/create', dedupKey: /^sha256:/ })
})

t.test('refuses a missing, hex, unpadded or duplicated HMAC; a missing topic; a signed body that is not JSON', async (t) => {
  rejects(t, () => verify({ ...headers(), 'x-shopify-hmac-sha256': undefined }, BODY), 'HG_ERR_SIGNATURE_MISSING', 401)
  const hex = createHmac('sha256', SECRET).update(BODY).digest('hex')
  for (const bad of [hex, HMAC.slice(0, -1), `${HMAC}, ${HMAC}`, `sha256=${HMAC}`]) rejects(t, () => verify(headers(bad), BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({ ...headers(), 'x-shopify-topic': undefined }, BODY), 'HG_ERR_PAYLOAD_INVALID', 400)
  const text = 'plain'
  rejects(t, () => verify(headers(createHmac('sha256', SECRET).update(text).digest('base64')), text), 'HG_ERR_PAYLOAD_INVALID', 400)
  rejects(t, () => verify(headers(createHmac('sha256', SECRET).update('').digest('base64')), ''), 'HG_ERR_PAYLOAD_INVALID', 400)
})
