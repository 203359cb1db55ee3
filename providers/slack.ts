/**
 * Slack (docs/provider-specs.md §4.4; https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw body)>`,
 * the timestamp within the tolerance both ways (Slack's docs: "more than five
 * minutes from local time"). The Events API posts JSON; slash commands and
 * interactivity post a form (interactivity's JSON in its `payload` field).
 * The Events API's `url_verification` is answered with its challenge, once
 * verified (https://api.slack.com/events/url_verification), and not stored.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID } from '../src/errors.js'
import { signedAtHeaders } from './tolerance.js'
import { isObject, parseObject, utf8 } from './json.js'
import type { Handshake, Provider, RawRequest, VerifiedEvent } from './types.js'

const SIGNATURE = /^v0=([0-9a-f]{64})$/ // §4.4: only v0 exists; bolt-js refuses any other version

export const slack: Provider<VerifiedEvent | Handshake> = Object.freeze<Provider<VerifiedEvent | Handshake>>({
  name: 'slack',
  storedHeaders: ['x-slack-signature', 'x-slack-request-timestamp', 'x-slack-retry-num', 'x-slack-retry-reason'],

  validateSecret (secret) {
    return secret.trim() === secret ? null : 'the signing secret has leading or trailing whitespace'
  },

  verify (req, secrets, now, options): VerifiedEvent | Handshake {
    const { signature, timestamp } = signedAtHeaders(req, 'x-slack-signature', 'x-slack-request-timestamp', now, options.toleranceMs)
    const hex = SIGNATURE.exec(signature)?.[1]
    if (hex === undefined || !signedBy(Buffer.from(hex, 'hex'), secrets, timestamp, req.body)) throw new HG_ERR_SIGNATURE_INVALID()
    return looksLikeJson(req.body) ? fromJson(req) : fromForm(req)
  }
})

function signedBy (given: Buffer, secrets: readonly string[], timestamp: string, body: Buffer): boolean {
  for (const secret of secrets) {
    if (secret === '') continue
    const mac = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest()
    if (timingSafeEqual(mac, given)) return true
  }
  return false
}

function looksLikeJson (body: Buffer): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue
    return byte === 0x7b // '{'
  }
  return false
}

const digest = (body: Buffer): string => 'sha256:' + createHash('sha256').update(body).digest('hex')

/** Events API: url_verification (answered), event_callback (event_id, event.type), or another typed payload. */
function fromJson (req: RawRequest): VerifiedEvent | Handshake {
  const body = parseObject(req.body, 'Slack')
  if (typeof body.type !== 'string' || body.type === '') throw new HG_ERR_PAYLOAD_INVALID('Slack', 'no string "type"')
  if (body.type === 'url_verification') {
    if (typeof body.challenge !== 'string' || body.challenge === '') throw new HG_ERR_PAYLOAD_INVALID('Slack', 'url_verification without a challenge')
    return { reply: { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ challenge: body.challenge }) } }
  }
  const event = isObject(body.event) ? body.event : undefined
  const type = body.type === 'event_callback' && typeof event?.type === 'string' && event.type !== '' ? event.type : body.type
  return {
    // Slack retries an event with the same event_id (§4.4); other payloads have no id, so the bytes are the delivery.
    dedupKey: typeof body.event_id === 'string' && body.event_id !== '' ? body.event_id : digest(req.body),
    type,
    subject: typeof event?.user === 'string' ? event.user : undefined,
    occurredAt: typeof body.event_time === 'number' && Number.isSafeInteger(body.event_time) ? new Date(body.event_time * 1000).toISOString() : undefined,
    payload: body
  }
}

/** Slash commands (`command`) and interactivity (`payload`, JSON): a form, keyed by its digest. */
function fromForm (req: RawRequest): VerifiedEvent {
  let params: URLSearchParams
  try { params = new URLSearchParams(utf8.decode(req.body)) } catch { throw new HG_ERR_PAYLOAD_INVALID('Slack', 'body is not UTF-8') }
  const fields = Object.fromEntries(params)
  if (fields.payload !== undefined) {
    let payload: unknown
    try { payload = JSON.parse(fields.payload) } catch { throw new HG_ERR_PAYLOAD_INVALID('Slack', 'the payload field is not JSON') }
    if (!isObject(payload) || typeof payload.type !== 'string' || payload.type === '') throw new HG_ERR_PAYLOAD_INVALID('Slack', 'the payload field has no string "type"')
    const user = isObject(payload.user) && typeof payload.user.id === 'string' ? payload.user.id : undefined
    return { dedupKey: digest(req.body), type: payload.type, subject: user, payload }
  }
  if (typeof fields.command !== 'string' || fields.command === '') throw new HG_ERR_PAYLOAD_INVALID('Slack', 'neither JSON, an interactivity payload nor a slash command')
  return { dedupKey: digest(req.body), type: 'slash_command', subject: fields.user_id, payload: fields }
}
