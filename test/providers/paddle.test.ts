import { createHmac } from 'node:crypto'
import t from 'tap'
import { paddle } from '../../providers/paddle.js'
import { samples } from '../../providers/samples.js'
import { changeChar, flipByte, rejects } from './support.js'

// Paddle's docs show the header's shape but not the secret behind their example; computed from the documented scheme.
const SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI'
const TS = 1671552777
const NOW = TS * 1000
const BODY = '{"event_id":"evt_01gks14ge726w50ch2tmaw2a1x","event_type":"subscription.activated","occurred_at":"2022-12-20T16:12:57.000Z","data":{"id":"sub_01gks14dmr8q2bwqbmd6y3mwbk"}}'
const h1 = (body: string | Buffer, ts = TS, secret = SECRET) => createHmac('sha256', secret).update(`${ts}:`).update(body).digest('hex')

const verify = (header: string | undefined, body: Buffer | string = BODY, secrets = [SECRET], now = NOW) =>
  paddle.verify({ headers: { 'paddle-signature': header }, body: Buffer.from(body) }, secrets, now, { toleranceMs: 5_000 })

t.test('a signed notification verifies and yields event_id, event_type, subject and time', async (t) => {
  t.same(verify(`ts=${TS};h1=${h1(BODY)}`), {
    dedupKey: 'evt_01gks14ge726w50ch2tmaw2a1x', type: 'subscription.activated', subject: 'sub_01gks14dmr8q2bwqbmd6y3mwbk',
    occurredAt: '2022-12-20T16:12:57.000Z', payload: JSON.parse(BODY)
  })
})

t.test('a one-byte change of the body, the signature or the timestamp fails', async (t) => {
  rejects(t, () => verify(`ts=${TS};h1=${h1(BODY)}`, flipByte(BODY, 14)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(`ts=${TS};h1=${changeChar(h1(BODY), 3)}`), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(`ts=${TS + 1};h1=${h1(BODY)}`), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(`ts=${TS};h1=${h1(BODY, TS, 'other')}`), 'HG_ERR_SIGNATURE_INVALID', 401, [SECRET])
})

t.test('a rotation: either of two h1, or either of two secrets, verifies', async (t) => {
  t.ok(verify(`ts=${TS};h1=${h1(BODY, TS, 'old')};h1=${h1(BODY)}`))
  t.ok(verify(`ts=${TS};h1=${h1(BODY, TS, 'old')}`, BODY, [SECRET, 'old']))
})

t.test('refuses stale and future timestamps, and malformed or repeated headers', async (t) => {
  const header = `ts=${TS};h1=${h1(BODY)}`
  rejects(t, () => verify(header, BODY, [SECRET], NOW + 5_001), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(header, BODY, [SECRET], NOW - 5_001), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(undefined), 'HG_ERR_SIGNATURE_MISSING', 401)
  for (const bad of [`h1=${h1(BODY)}`, `ts=x;h1=${h1(BODY)}`, `${header}, ${header}`]) rejects(t, () => verify(bad), 'HG_ERR_TIMESTAMP_INVALID', 401)
  for (const bad of [`ts=${TS}`, `ts=${TS};h1=${Buffer.from(h1(BODY), 'hex').toString('base64')}`, `ts=${TS};v1=${h1(BODY)}`]) rejects(t, () => verify(bad), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(`ts=${TS};h1=${h1('nope')}`, 'nope'), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('the sample signs the Paddle way', async (t) => {
  const body = samples.paddle.body('customer.created', NOW)
  t.match(verify(samples.paddle.sign(body, SECRET, NOW, 'customer.created')['paddle-signature'], body), { type: 'customer.created', subject: /^txn_/ })
})
