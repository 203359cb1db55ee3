/**
 * Linear (https://linear.app/developers/webhooks, and @linear/sdk's
 * LinearWebhooks at https://linear.app/docs/api/sdk-webhooks): `Linear-Signature`
 * is the hex HMAC-SHA256 of the body; the body's `webhookTimestamp` (epoch ms)
 * is signed with it and must be within the source's tolerance (Linear's
 * docs suggest a minute). Dedup on `Linear-Delivery`, type `type.action`
 * (`Issue.create`), subject `data.id`.
 */
import {
  HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING, HG_ERR_TIMESTAMP_INVALID
} from '../src/errors.js'
import { requireWithinTolerance } from './tolerance.js'
import { isObject, parseObject } from './json.js'
import { bodyDigest, macMatches, validateSharedSecret } from './mac.js'
import type { Provider, VerifiedEvent } from './types.js'

const HEX_SHA256 = /^[0-9a-f]{64}$/i

export const linear: Provider = Object.freeze<Provider>({
  name: 'linear',
  storedHeaders: ['linear-signature', 'linear-delivery', 'linear-event'],
  validateSecret: validateSharedSecret,

  verify (req, secrets, now, options): VerifiedEvent {
    const signature = req.headers['linear-signature']?.trim()
    if (!signature) throw new HG_ERR_SIGNATURE_MISSING('linear-signature')
    if (!macMatches(HEX_SHA256.test(signature) ? Buffer.from(signature, 'hex') : undefined, secrets, 'sha256', req.body)) throw new HG_ERR_SIGNATURE_INVALID()

    // The timestamp is inside the signed body, so it is read only once the signature holds.
    const body = parseObject(req.body, 'Linear')
    const sentAt = body.webhookTimestamp
    if (typeof sentAt !== 'number' || !Number.isSafeInteger(sentAt)) throw new HG_ERR_TIMESTAMP_INVALID()
    requireWithinTolerance(sentAt, now, options.toleranceMs)

    const { type, action, data } = body
    if (typeof type !== 'string' || type === '') throw new HG_ERR_PAYLOAD_INVALID('Linear', 'no string "type"')
    const subject = isObject(data) && typeof data.id === 'string' ? data.id : undefined
    const createdAt = typeof body.createdAt === 'string' && !Number.isNaN(Date.parse(body.createdAt)) ? body.createdAt : undefined
    return {
      dedupKey: req.headers['linear-delivery']?.trim() || bodyDigest(req.body),
      type: typeof action === 'string' && action !== '' ? `${type}.${action}` : type,
      subject, occurredAt: createdAt, payload: body
    }
  }
})
