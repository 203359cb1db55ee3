/**
 * Paddle Billing (https://developer.paddle.com/webhooks/signature-verification):
 * `Paddle-Signature: ts=<sec>;h1=<hex>`, HMAC-SHA256 of `${ts}:${body}` keyed
 * with the notification destination's secret key as is; several h1 while a
 * secret rotates. Paddle's SDK allows 5 s of skew; here the source's tolerance.
 * Dedup on `event_id`, type `event_type`, subject `data.id`, time `occurred_at`.
 */
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID } from '../src/errors.js'
import { signedAtHeader } from './tolerance.js'
import { isObject, parseObject } from './json.js'
import { macMatches, validateSharedSecret } from './mac.js'
import type { Provider, VerifiedEvent } from './types.js'

export const paddle: Provider = Object.freeze<Provider>({
  name: 'paddle',
  storedHeaders: ['paddle-signature'],
  validateSecret: validateSharedSecret,

  verify (req, secrets, now, options): VerifiedEvent {
    // A repeated header arrives joined with ', ', so both separators split.
    const { timestamp: ts, signatures } = signedAtHeader(req, 'paddle-signature', { separator: /[;,]/, timestampKey: 'ts', signatureKey: 'h1' }, now, options.toleranceMs)
    if (!signatures.some((given) => macMatches(given, secrets, 'sha256', ts, ':', req.body))) throw new HG_ERR_SIGNATURE_INVALID()

    const body = parseObject(req.body, 'Paddle')
    const { event_id: id, event_type: type, occurred_at: occurredAt, data } = body
    if (typeof id !== 'string' || id === '' || typeof type !== 'string' || type === '') throw new HG_ERR_PAYLOAD_INVALID('Paddle', 'no string "event_id" and "event_type"')
    return {
      dedupKey: id, type, payload: body,
      subject: isObject(data) && typeof data.id === 'string' ? data.id : undefined,
      occurredAt: typeof occurredAt === 'string' && !Number.isNaN(Date.parse(occurredAt)) ? occurredAt : undefined
    }
  }
})
