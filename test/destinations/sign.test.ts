import t from 'tap'
import { Webhook } from 'svix'
import { createSigner } from '../../src/destinations/sign.js'
import { verifierWallClock } from '../helper.js'

const SECRET = 'whsec_' + Buffer.alloc(32, 42).toString('base64')
const body = Buffer.from('{"specversion":"1.0","id":"evt_1","data":{"x":"Zoë"}}')
const nowSec = () => Math.floor(verifierWallClock() / 1000)

t.test('signs so that svix Webhook.verify accepts the exact bytes', async (t) => {
  const headers = createSigner(SECRET)('evt_1', nowSec(), body)
  t.equal(headers['webhook-id'], 'evt_1')
  t.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/)
  t.doesNotThrow(() => new Webhook(SECRET).verify(body.toString(), { ...headers }))
})

t.test('matches svix Webhook.sign byte for byte', async (t) => {
  const at = nowSec()
  t.equal(createSigner(SECRET)('evt_1', at, body)['webhook-signature'], new Webhook(SECRET).sign('evt_1', new Date(at * 1000), body.toString()))
})

t.test('accepts a secret without the whsec_ prefix', async (t) => {
  const at = nowSec()
  t.same(createSigner(SECRET.slice(6))('evt_1', at, body), createSigner(SECRET)('evt_1', at, body))
})

t.test('fails verification when one byte changes, or with another secret', async (t) => {
  const headers = createSigner(SECRET)('evt_1', nowSec(), body)
  const tampered = Buffer.from(body)
  tampered[tampered.length - 3] = 0x41
  t.throws(() => new Webhook(SECRET).verify(tampered.toString(), { ...headers }))
  t.throws(() => new Webhook('whsec_' + Buffer.alloc(32, 7).toString('base64')).verify(body.toString(), { ...headers }))
})

t.test('signs the timestamp it is given, so each attempt can carry a fresh one', async (t) => {
  const sign = createSigner(SECRET)
  const first = sign('evt_1', 1_700_000_000, body)
  const later = sign('evt_1', 1_700_000_005, body)
  t.equal(later['webhook-timestamp'], '1700000005')
  t.not(first['webhook-signature'], later['webhook-signature'])
})
