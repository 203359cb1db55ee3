import { createHash, createHmac } from 'node:crypto'
import t from 'tap'
import { samples } from '../../providers/samples.js'
import { signZoom } from '../../providers/sign.js'
import { isHandshake, type VerifiedEvent } from '../../providers/types.js'
import { zoom } from '../../providers/zoom.js'
import { storedEvents } from '../fixtures/events.js'
import { build, TestClock } from '../helper.js'
import { changeChar, flipByte, rejects } from './support.js'

// Zoom publishes the scheme but no signed vector; this one is computed the way
// Zoom's webhook-sample does (HMAC of `v0:${ts}:${JSON.stringify(req.body)}`, a compact body).
const SECRET = 'Hs9TDzmvRUuJvVJYahZ4Vg'
const TS = '1658940994'
const NOW = Number(TS) * 1000
const BODY = '{"event":"meeting.started","event_ts":1658940994112,"payload":{"account_id":"D8cJuqWVQ623CI4Q8yQK0Q","object":{"id":"89785602561","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN","topic":"My Meeting","type":2,"start_time":"2022-07-27T16:56:34Z","timezone":"America/Los_Angeles","duration":60}}}'
const OPTIONS = { toleranceMs: 300_000 }
const zoomSampleSignature = (body: string, ts: string, secret: string) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:${JSON.stringify(JSON.parse(body))}`).digest('hex')}`
const SIGNATURE = zoomSampleSignature(BODY, TS, SECRET)

type Headers = Record<string, string | undefined>
const headers = (signature = SIGNATURE, ts = TS): Headers => ({ 'x-zm-signature': signature, 'x-zm-request-timestamp': ts })
const verify = (h: Headers = headers(), body: Buffer | string = BODY, now = NOW, secrets = [SECRET]) => zoom.verify({ headers: h, body: Buffer.from(body) }, secrets, now, OPTIONS)
const event = (result: ReturnType<typeof verify>): VerifiedEvent => {
  if (isHandshake(result)) throw new Error('a handshake, not an event')
  return result
}

t.test('a signed meeting.started verifies: type event, keyed on the signed bytes, subject the meeting id', async (t) => {
  t.same(event(verify()), {
    dedupKey: 'sha256:' + createHash('sha256').update(BODY).digest('hex'), type: 'meeting.started', subject: '89785602561',
    occurredAt: '2022-07-27T16:56:34.112Z', payload: JSON.parse(BODY)
  })
  t.equal(signZoom({ timestampSec: Number(TS), body: BODY, secret: SECRET })['x-zm-signature'], SIGNATURE, 'our signer agrees with the way Zoom computes it')
})

t.test('a one-byte change of the body, the signature, the timestamp or the secret fails', async (t) => {
  rejects(t, () => verify(headers(), flipByte(BODY, BODY.indexOf('started'))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(changeChar(SIGNATURE, 10))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(SIGNATURE, String(Number(TS) + 1))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(), BODY, NOW, [changeChar(SECRET, 0)]), 'HG_ERR_SIGNATURE_INVALID', 401, [SECRET])
  t.ok(verify(headers(), BODY, NOW, ['an-older-token', SECRET]), 'any listed secret')
})

t.test('refuses missing headers, other versions and encodings, and timestamps out of tolerance both ways', async (t) => {
  rejects(t, () => verify({ 'x-zm-request-timestamp': TS }), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => verify({ 'x-zm-signature': SIGNATURE }), 'HG_ERR_SIGNATURE_MISSING', 401)
  for (const bad of [SIGNATURE.replace('v0=', 'v1='), SIGNATURE.slice(3), SIGNATURE.toUpperCase().replace('V0=', 'v0='),
    'v0=' + Buffer.from(SIGNATURE.slice(3), 'hex').toString('base64'), `${SIGNATURE}, ${SIGNATURE}`]) {
    rejects(t, () => verify(headers(bad)), 'HG_ERR_SIGNATURE_INVALID', 401)
  }
  for (const ts of [`${TS}.5`, 'soon', `${TS}000000`]) rejects(t, () => verify(headers(SIGNATURE, ts)), 'HG_ERR_TIMESTAMP_INVALID', 401)
  t.ok(verify(headers(), BODY, NOW + 300_000), 'five minutes late still holds (inclusive)')
  rejects(t, () => verify(headers(), BODY, NOW + 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(headers(), BODY, NOW - 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
})

t.test('a signed body that is not a Zoom event is a 400', async (t) => {
  for (const body of ['not json', '[1]', '{"payload":{}}', '{"event":""}', '{"event":"endpoint.url_validation","payload":{}}']) {
    const signed = signZoom({ timestampSec: Number(TS), body, secret: SECRET })
    rejects(t, () => verify(signed, body), 'HG_ERR_PAYLOAD_INVALID', 400)
  }
})

t.test('endpoint.url_validation is answered with plainToken and its HMAC once verified, and never before', async (t) => {
  const body = '{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}'
  const result = verify(signZoom({ timestampSec: Number(TS), body, secret: SECRET }), body)
  const encryptedToken = createHmac('sha256', SECRET).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex')
  t.same(result, { reply: { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ plainToken: 'qgg8vlvZRS6UYooatFL8Aw', encryptedToken }) } })
  const rotated = verify(signZoom({ timestampSec: Number(TS), body, secret: SECRET }), body, NOW, ['an-older-token', SECRET])
  t.same(rotated, result, 'the token is hashed with the secret that signed, not the first listed')
  rejects(t, () => verify(signZoom({ timestampSec: Number(TS), body, secret: 'not-the-secret' }), body), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({}, body), 'HG_ERR_SIGNATURE_MISSING', 401)
  const huge = JSON.stringify({ event: 'endpoint.url_validation', payload: { plainToken: 'a'.repeat(1025) } })
  rejects(t, () => verify(signZoom({ timestampSec: Number(TS), body: huge, secret: SECRET }), huge), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('through the gateway: the validation is answered and stores nothing; a signed event is stored once', async (t) => {
  const { app } = await build(t, { clock: new TestClock(NOW), config: { sources: { zoom: { provider: 'zoom', secret: SECRET } } } })
  const validation = '{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}'
  const res = await app.inject({ method: 'POST', url: '/webhooks/zoom', headers: signZoom({ timestampSec: Number(TS), body: validation, secret: SECRET }), payload: validation })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { plainToken: 'qgg8vlvZRS6UYooatFL8Aw', encryptedToken: createHmac('sha256', SECRET).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex') })
  t.equal((await storedEvents(app)).length, 0, 'nothing stored')
  const body = samples.zoom.body('meeting.ended', NOW)
  for (const duplicate of [false, true]) {
    const ev = await app.inject({ method: 'POST', url: '/webhooks/zoom', headers: samples.zoom.sign(body, SECRET, NOW, 'meeting.ended'), payload: body })
    t.match(ev.json(), { duplicate }, 'a re-signed resend of the same body is a duplicate')
  }
  const rows = await storedEvents(app)
  t.match(rows, [{ provider: 'zoom', type: 'meeting.ended' }])
  const detail = (await app.hookgate.store.getEvent(rows[0]!.id))!.event
  t.same(Object.keys(JSON.parse(detail.headers)).sort(), ['x-zm-request-timestamp', 'x-zm-signature', 'x-zm-trackingid'])
})
