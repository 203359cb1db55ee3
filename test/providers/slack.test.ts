import { createHash } from 'node:crypto'
import t, { type Test } from 'tap'
import { samples } from '../../providers/samples.js'
import { signSlack } from '../../providers/sign.js'
import { slack } from '../../providers/slack.js'
import { isHandshake, type VerifiedEvent } from '../../providers/types.js'
import { build, TestClock } from '../helper.js'
import { storedEvents } from '../fixtures/events.js'

// docs/provider-specs.md §4.4: Slack's published vector (a slash command), as bolt-js's tests embed it.
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5'
const TS = '1531420618'
const NOW = Number(TS) * 1000
const BODY = Buffer.from('token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c')
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503'
const OPTIONS = { toleranceMs: 300_000 }

type Headers = Record<string, string | undefined>
const headers = (signature = SIGNATURE, ts = TS): Headers => ({ 'x-slack-signature': signature, 'x-slack-request-timestamp': ts })
const verify = (h: Headers = headers(), body: Buffer = BODY, now = NOW, secrets = [SECRET]) => slack.verify({ headers: h, body }, secrets, now, OPTIONS)
const event = (result: ReturnType<typeof verify>): VerifiedEvent => {
  if (isHandshake(result)) throw new Error('a handshake, not an event')
  return result
}
const signed = (body: string, now = NOW): Headers => signSlack({ timestampSec: Math.floor(now / 1000), body, secret: SECRET })

function rejects (t: Test, fn: () => unknown, code: string, statusCode: number): void {
  let error: unknown
  try { fn() } catch (err) { error = err }
  t.match(error, { code, statusCode }, `throws ${code} (${statusCode})`)
  t.notOk(String((error as Error | undefined)?.message).includes(SECRET), 'the message does not contain the secret')
}

const flip = (text: string, at: number): string => text.slice(0, at) + (text[at] === '0' ? '1' : '0') + text.slice(at + 1)

t.test("Slack's published vector verifies, as a slash command keyed by its digest", async (t) => {
  const result = event(verify())
  t.equal(result.type, 'slash_command')
  t.equal(result.subject, 'U2CERLKJA')
  t.equal(result.dedupKey, 'sha256:' + createHash('sha256').update(BODY).digest('hex'))
  t.match(result.payload, { command: '/webhook-collect', team_id: 'T1DC2JH3J' })
})

t.test('a one-byte change of the body, the signature or the timestamp fails', async (t) => {
  const body = Buffer.from(BODY)
  const at = body.indexOf('webhook-collect')
  body[at] = body[at]! ^ 1
  rejects(t, () => verify(headers(), body), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(flip(SIGNATURE, 10))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(SIGNATURE, String(Number(TS) + 1))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(), BODY, NOW, ['8f742231b10e8888abcd99yyyzzz85a6']), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('refuses missing headers, other versions and encodings, and timestamps out of tolerance both ways', async (t) => {
  rejects(t, () => verify({ 'x-slack-request-timestamp': TS }), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => verify({ 'x-slack-signature': SIGNATURE }), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => verify(headers(SIGNATURE.replace('v0=', 'v1='))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(SIGNATURE.slice(3))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(SIGNATURE.toUpperCase().replace('V0=', 'v0='))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers('v0=' + Buffer.from(SIGNATURE.slice(3), 'hex').toString('base64'))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(SIGNATURE, '1531420618.5')), 'HG_ERR_TIMESTAMP_INVALID', 401)
  rejects(t, () => verify(headers(SIGNATURE, 'soon')), 'HG_ERR_TIMESTAMP_INVALID', 401)
  t.ok(verify(headers(), BODY, NOW + 300_000), 'five minutes late still holds (inclusive)')
  rejects(t, () => verify(headers(), BODY, NOW + 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(headers(), BODY, NOW - 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
})

t.test('an Events API callback: event_id is the dedup key, event.type the type', async (t) => {
  const body = samples.slack.body('app_mention', NOW)
  const result = event(verify(signed(body), Buffer.from(body)))
  const parsed = JSON.parse(body)
  t.same({ dedupKey: result.dedupKey, type: result.type, subject: result.subject, occurredAt: result.occurredAt },
    { dedupKey: parsed.event_id, type: 'app_mention', subject: parsed.event.user, occurredAt: new Date(NOW).toISOString() })
  const rateLimited = '{"token":"x","type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A1"}'
  t.match(event(verify(signed(rateLimited), Buffer.from(rateLimited))), { type: 'app_rate_limited', dedupKey: /^sha256:/ })
})

t.test('url_verification is answered with its challenge once verified, and never before', async (t) => {
  const body = '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}'
  const result = verify(signed(body), Buffer.from(body))
  t.same(result, { reply: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}' } })
  rejects(t, () => verify(signSlack({ timestampSec: Number(TS), body, secret: 'another' }), Buffer.from(body)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(signed('{"type":"url_verification"}'), Buffer.from('{"type":"url_verification"}')), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('interactivity posts a form whose payload field is JSON', async (t) => {
  const form = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U123' }, actions: [] }) }).toString()
  t.match(event(verify(signed(form), Buffer.from(form))), { type: 'block_actions', subject: 'U123', dedupKey: /^sha256:/ })
  const broken = 'payload=%7Bnot-json'
  rejects(t, () => verify(signed(broken), Buffer.from(broken)), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('a signed body that is neither JSON nor a Slack form is a 400', async (t) => {
  for (const body of ['{"no":"type"}', '{not json', 'hello=world', '', '[1]']) {
    rejects(t, () => verify(signed(body), Buffer.from(body)), 'HG_ERR_PAYLOAD_INVALID', 400)
  }
})

t.test('through the gateway: url_verification gets the challenge and nothing is stored; an event is stored once', async (t) => {
  const { app } = await build(t, { clock: new TestClock(NOW), config: { sources: { slack: { provider: 'slack', secret: SECRET } } } })
  const handshake = '{"token":"x","challenge":"abc123","type":"url_verification"}'
  const res = await app.inject({ method: 'POST', url: '/webhooks/slack', headers: signed(handshake), payload: handshake })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { challenge: 'abc123' })
  t.equal((await storedEvents(app)).length, 0)
  const body = samples.slack.body('message', NOW)
  for (const duplicate of [false, true]) {
    const ev = await app.inject({ method: 'POST', url: '/webhooks/slack', headers: signed(body), payload: body })
    t.match(ev.json(), { duplicate })
  }
  t.match(await storedEvents(app), [{ provider: 'slack', type: 'message' }])
})
