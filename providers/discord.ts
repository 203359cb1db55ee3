/**
 * Discord interactions (https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers):
 * `X-Signature-Ed25519` is the hex ed25519 signature of `X-Signature-Timestamp`
 * + raw body, under the application's public key (hex, General Information in
 * the Developer Portal); Discord's own check is discord-interactions'
 * verifyKey. A PING (`type: 1`) is answered `{"type":1}` once verified. The
 * Webhook Events endpoint (https://discord.com/developers/docs/events/webhook-events)
 * signs the same way; its PING is `type: 0`, answered 204, and an event is
 * `type: 1` with an `event` object. Discord gives no tolerance; the source's
 * toleranceSeconds still bounds replays of a captured request.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto'
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID } from '../src/errors.js'
import { signedAtHeaders } from './tolerance.js'
import { isObject, parseObject } from './json.js'
import type { Handshake, Provider, VerifiedEvent } from './types.js'

const PUBLIC_KEY = /^[0-9a-f]{64}$/i
const SIGNATURE = /^[0-9a-f]{128}$/i
/** DER prefix of an ed25519 SubjectPublicKeyInfo (RFC 8410 §4): node:crypto takes raw keys only this way. */
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex')
const INTERACTION_TYPES: Readonly<Record<number, string>> = {
  2: 'application_command', 3: 'message_component', 4: 'application_command_autocomplete', 5: 'modal_submit'
}
// Parsed once per configured key: the set is the config's, so this stays bounded.
const keys = new Map<string, KeyObject>()

function publicKey (hex: string): KeyObject {
  let key = keys.get(hex)
  if (key === undefined) keys.set(hex, key = createPublicKey({ key: Buffer.concat([ED25519_SPKI, Buffer.from(hex, 'hex')]), format: 'der', type: 'spki' }))
  return key
}

export const discord: Provider<VerifiedEvent | Handshake> = Object.freeze<Provider<VerifiedEvent | Handshake>>({
  name: 'discord',
  storedHeaders: ['x-signature-ed25519', 'x-signature-timestamp'],

  validateSecret (secret) {
    return PUBLIC_KEY.test(secret) ? null : "a Discord application's public key is 64 hex characters (General Information → Public Key)"
  },

  verify (req, secrets, now, options): VerifiedEvent | Handshake {
    const { signature, timestamp } = signedAtHeaders(req, 'x-signature-ed25519', 'x-signature-timestamp', now, options.toleranceMs)
    if (!SIGNATURE.test(signature)) throw new HG_ERR_SIGNATURE_INVALID()
    const message = Buffer.concat([Buffer.from(timestamp), req.body])
    const given = Buffer.from(signature, 'hex')
    if (!secrets.some((hex) => PUBLIC_KEY.test(hex) && verify(null, message, publicKey(hex), given))) throw new HG_ERR_SIGNATURE_INVALID()

    const body = parseObject(req.body, 'Discord')
    if (body.type === 1 && !isObject(body.event)) return { reply: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"type":1}' } }
    if (body.type === 0) return { reply: { status: 204, body: '' } }
    if (body.type === 1 && isObject(body.event)) {
      const event = body.event
      if (typeof event.type !== 'string' || event.type === '') throw new HG_ERR_PAYLOAD_INVALID('Discord', 'a webhook event without a string event.type')
      return {
        // Webhook events carry no id: the signed bytes are the delivery.
        dedupKey: 'sha256:' + createHash('sha256').update(req.body).digest('hex'),
        type: event.type,
        occurredAt: typeof event.timestamp === 'string' && !Number.isNaN(Date.parse(event.timestamp)) ? new Date(event.timestamp).toISOString() : undefined,
        payload: body
      }
    }
    const type = typeof body.type === 'number' ? INTERACTION_TYPES[body.type] : undefined
    if (type === undefined || typeof body.id !== 'string' || body.id === '') throw new HG_ERR_PAYLOAD_INVALID('Discord', 'not an interaction { id, type } nor a webhook event')
    const member = isObject(body.member) && isObject(body.member.user) ? body.member.user : undefined
    const user = isObject(body.user) ? body.user : member
    return { dedupKey: body.id, type, subject: typeof user?.id === 'string' ? user.id : undefined, payload: body }
  }
})
