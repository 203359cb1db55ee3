/**
 * Square (https://developer.squareup.com/docs/webhooks/step3validate):
 * `x-square-hmacsha256-signature` is the base64 HMAC-SHA256 of the
 * notification URL followed by the body, keyed with the subscription's
 * signature key; the URL is the source's `publicUrl` option, exactly as
 * configured at Square. No timestamp is signed. Dedup on `event_id`, type
 * `type`, subject `data.id`.
 */
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING } from '../src/errors.js'
import { isObject, parseObject } from './json.js'
import { macMatches, validateSharedSecret } from './mac.js'
import { parsePublicUrlOptions, type PublicUrlOptions } from './public-url.js'
import type { Provider, VerifiedEvent } from './types.js'

const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/

export const square: Provider = Object.freeze<Provider>({
  name: 'square',
  storedHeaders: ['x-square-hmacsha256-signature', 'square-version', 'square-environment'],
  validateSecret: validateSharedSecret,
  parseOptions: parsePublicUrlOptions,

  verify (req, secrets, _now, { options }): VerifiedEvent {
    const { publicUrl } = options as PublicUrlOptions
    const signature = req.headers['x-square-hmacsha256-signature']?.trim()
    if (!signature) throw new HG_ERR_SIGNATURE_MISSING('x-square-hmacsha256-signature')
    const given = BASE64_SHA256.test(signature) ? Buffer.from(signature, 'base64') : undefined
    if (!macMatches(given, secrets, 'sha256', publicUrl, req.body)) throw new HG_ERR_SIGNATURE_INVALID()

    const body = parseObject(req.body, 'Square')
    const { event_id: id, type, created_at: createdAt, data } = body
    if (typeof id !== 'string' || id === '' || typeof type !== 'string' || type === '') throw new HG_ERR_PAYLOAD_INVALID('Square', 'no string "event_id" and "type"')
    return {
      dedupKey: id, type, payload: body,
      subject: isObject(data) && typeof data.id === 'string' ? data.id : undefined,
      occurredAt: typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) ? createdAt : undefined
    }
  }
})
