import { generateKeyPairSync } from 'node:crypto'
import { verifyKey } from 'discord-interactions'
import t, { type Test } from 'tap'
import { discord } from '../../providers/discord.js'
import { samples } from '../../providers/samples.js'
import { signDiscord } from '../../providers/sign.js'
import { isHandshake, type VerifiedEvent } from '../../providers/types.js'
import { build, TestClock } from '../helper.js'
import { storedEvents } from '../fixtures/events.js'

// Discord publishes no vector: a key pair of the test's own, signing as Discord does (ed25519 over timestamp + body).
const { privateKey, publicKey } = generateKeyPairSync('ed25519')
const PUBLIC_HEX = (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32).toString('hex')
const OTHER = generateKeyPairSync('ed25519')
const NOW = Date.UTC(2026, 2, 4, 5, 6, 7)
const TS = Math.floor(NOW / 1000)
const OPTIONS = { toleranceMs: 300_000 }

type Headers = Record<string, string | undefined>
const signed = (body: string, ts = TS, key = privateKey): Headers => signDiscord({ timestampSec: ts, body, privateKey: key })
const verify = (h: Headers, body: string | Buffer, now = NOW, secrets = [PUBLIC_HEX]) => discord.verify({ headers: h, body: Buffer.from(body) }, secrets, now, OPTIONS)
const event = (r: ReturnType<typeof verify>): VerifiedEvent => { if (isHandshake(r)) throw new Error('a handshake'); return r }

function rejects (t: Test, fn: () => unknown, code: string, statusCode: number): void {
  let error: unknown
  try { fn() } catch (err) { error = err }
  t.match(error, { code, statusCode }, `throws ${code} (${statusCode})`)
}

const INTERACTION = samples.discord.body('application_command', NOW)

t.test('an interaction signed with the application key verifies: its id is the dedup key', async (t) => {
  const result = event(verify(signed(INTERACTION), INTERACTION))
  const parsed = JSON.parse(INTERACTION)
  t.same({ dedupKey: result.dedupKey, type: result.type, subject: result.subject }, { dedupKey: parsed.id, type: 'application_command', subject: parsed.member.user.id })
})

t.test("Discord's own verifyKey (discord-interactions) accepts what our signer makes, and both refuse the same changes", async (t) => {
  const ping = '{"application_id":"1","id":"2","token":"t","type":1,"version":1}'
  for (const body of [INTERACTION, ping]) {
    const h = signed(body)
    t.equal(await verifyKey(body, h['x-signature-ed25519']!, h['x-signature-timestamp']!, PUBLIC_HEX), true, 'discord-interactions verifies our fixture')
    t.ok(verify(h, body), 'and so do we')
    const changed = body.replace('"type":', '"type" :')
    t.equal(await verifyKey(changed, h['x-signature-ed25519']!, h['x-signature-timestamp']!, PUBLIC_HEX), false, 'one changed byte: discord-interactions refuses')
    rejects(t, () => verify(h, changed), 'HG_ERR_SIGNATURE_INVALID', 401)
    const other = signed(body, TS, OTHER.privateKey)
    t.equal(await verifyKey(body, other['x-signature-ed25519']!, other['x-signature-timestamp']!, PUBLIC_HEX), false, 'another key: discord-interactions refuses')
    rejects(t, () => verify(other, body), 'HG_ERR_SIGNATURE_INVALID', 401)
  }
})

t.test('a one-byte change of the body, the signature or the timestamp fails, and so does another key', async (t) => {
  const h = signed(INTERACTION)
  rejects(t, () => verify(h, INTERACTION.replace('blep', 'blop')), 'HG_ERR_SIGNATURE_INVALID', 401)
  const sig = h['x-signature-ed25519']!
  rejects(t, () => verify({ ...h, 'x-signature-ed25519': (sig[0] === '0' ? '1' : '0') + sig.slice(1) }, INTERACTION), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({ ...h, 'x-signature-timestamp': String(TS + 1) }, INTERACTION), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(signed(INTERACTION, TS, OTHER.privateKey), INTERACTION), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('refuses missing headers, wrong encodings and timestamps out of tolerance', async (t) => {
  const h = signed(INTERACTION)
  rejects(t, () => verify({ 'x-signature-timestamp': String(TS) }, INTERACTION), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => verify({ 'x-signature-ed25519': h['x-signature-ed25519'] }, INTERACTION), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => verify({ ...h, 'x-signature-ed25519': Buffer.from(h['x-signature-ed25519']!, 'hex').toString('base64') }, INTERACTION), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({ ...h, 'x-signature-ed25519': h['x-signature-ed25519']!.slice(2) }, INTERACTION), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({ ...h, 'x-signature-timestamp': 'now' }, INTERACTION), 'HG_ERR_TIMESTAMP_INVALID', 401)
  rejects(t, () => verify(h, INTERACTION, NOW + 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(h, INTERACTION, NOW - 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
})

t.test('a PING is answered {"type":1} once verified; a webhook-events PING gets 204; neither before', async (t) => {
  const ping = '{"application_id":"1","id":"2","token":"t","type":1,"version":1}'
  t.same(verify(signed(ping), ping), { reply: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"type":1}' } })
  rejects(t, () => verify(signed(ping, TS, OTHER.privateKey), ping), 'HG_ERR_SIGNATURE_INVALID', 401)
  const eventsPing = '{"version":1,"application_id":"1","type":0}'
  t.same(verify(signed(eventsPing), eventsPing), { reply: { status: 204, body: '' } })
  const webhookEvent = '{"version":1,"application_id":"1","type":1,"event":{"type":"APPLICATION_AUTHORIZED","timestamp":"2026-03-04T05:06:07.000Z","data":{}}}'
  t.match(event(verify(signed(webhookEvent), webhookEvent)), { type: 'APPLICATION_AUTHORIZED', dedupKey: /^sha256:/, occurredAt: '2026-03-04T05:06:07.000Z' })
})

t.test('a signed body that is not an interaction is a 400', async (t) => {
  for (const body of ['not json', '{"type":2}', '{"id":"1","type":99}', '[1]', '{"type":1,"event":{}}']) {
    rejects(t, () => verify(signed(body), body), 'HG_ERR_PAYLOAD_INVALID', 400)
  }
})

t.test('the public key must be 64 hex characters', async (t) => {
  t.equal(discord.validateSecret?.(PUBLIC_HEX), null)
  t.match(discord.validateSecret?.('abc'), /64 hex characters/)
})

t.test('through the gateway: the PING is answered and nothing stored; the sample signs with a private key', async (t) => {
  const { app } = await build(t, { clock: new TestClock(NOW), config: { sources: { discord: { provider: 'discord', secret: PUBLIC_HEX } } } })
  const ping = '{"application_id":"1","id":"2","token":"t","type":1,"version":1}'
  const res = await app.inject({ method: 'POST', url: '/webhooks/discord', headers: signed(ping), payload: ping })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { type: 1 })
  t.equal((await storedEvents(app)).length, 0)
  const ok = await app.inject({ method: 'POST', url: '/webhooks/discord', headers: signed(INTERACTION), payload: INTERACTION })
  t.equal(ok.statusCode, 200)
  t.match(await storedEvents(app), [{ provider: 'discord', type: 'application_command' }])
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  t.equal(samples.discord.privateKey?.secretFor(pem), PUBLIC_HEX, 'the sample names the public key its private key signs for')
  const fresh = samples.discord.body('application_command', NOW)
  const sent = await app.inject({ method: 'POST', url: '/webhooks/discord', headers: samples.discord.sign(fresh, pem, NOW, samples.discord.defaultType), payload: fresh })
  t.equal(sent.statusCode, 200, 'the sample signed with the private key is accepted')
  t.throws(() => samples.discord.sign(fresh, PUBLIC_HEX, NOW, samples.discord.defaultType), 'a public key cannot sign')
})
