/**
 * Zoom (https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events;
 * Zoom's own sample, https://github.com/zoom/webhook-sample/blob/master/index.js):
 * `x-zm-signature: v0=<hex HMAC-SHA256(secret token, "v0:" + x-zm-request-timestamp + ":" + raw body)>`,
 * the timestamp (Unix seconds) within the source's tolerance both ways.
 * Zoom checks the endpoint with a signed `endpoint.url_validation` event
 * (https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint),
 * answered `{ plainToken, encryptedToken: hex HMAC-SHA256(secret token, plainToken) }`
 * once the signature holds, as Zoom's sample does, and never stored.
 * The type is the body's `event`, the time its `event_ts` (ms).
 */
import { createHmac } from 'node:crypto'
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID } from '../src/errors.js'
import { isObject, parseObject } from './json.js'
import { bodyDigest, macMatches, validateSharedSecret } from './mac.js'
import { signedAtHeaders } from './tolerance.js'
import type { Handshake, Provider, VerifiedEvent } from './types.js'

const SIGNATURE = /^v0=([0-9a-f]{64})$/
const MAX_PLAIN_TOKEN = 1024
const MAX_DATE_MS = 8.64e15 // the last instant a Date holds (ECMA-262 §21.4.1.1)

export const zoom: Provider<VerifiedEvent | Handshake> = Object.freeze<Provider<VerifiedEvent | Handshake>>({
  name: 'zoom',
  storedHeaders: ['x-zm-signature', 'x-zm-request-timestamp', 'x-zm-trackingid'],
  validateSecret: validateSharedSecret,

  verify (req, secrets, now, options): VerifiedEvent | Handshake {
    const { signature, timestamp } = signedAtHeaders(req, 'x-zm-signature', 'x-zm-request-timestamp', now, options.toleranceMs)
    const hex = SIGNATURE.exec(signature)?.[1]
    const given = hex === undefined ? undefined : Buffer.from(hex, 'hex')
    // The secret that signed is the one that answers the validation: Zoom holds one secret token per app.
    const secret = secrets.find((s) => macMatches(given, [s], 'sha256', `v0:${timestamp}:`, req.body))
    if (secret === undefined) throw new HG_ERR_SIGNATURE_INVALID()

    const body = parseObject(req.body, 'Zoom')
    if (typeof body.event !== 'string' || body.event === '') throw new HG_ERR_PAYLOAD_INVALID('Zoom', 'no string "event"')
    const payload = isObject(body.payload) ? body.payload : undefined
    if (body.event === 'endpoint.url_validation') {
      const plainToken = payload?.plainToken
      if (typeof plainToken !== 'string' || plainToken === '' || plainToken.length > MAX_PLAIN_TOKEN) throw new HG_ERR_PAYLOAD_INVALID('Zoom', 'endpoint.url_validation without a plainToken')
      const encryptedToken = createHmac('sha256', secret).update(plainToken).digest('hex')
      return { reply: { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ plainToken, encryptedToken }) } }
    }
    const object = isObject(payload?.object) ? payload.object : undefined
    const id = object?.id ?? object?.uuid
    return {
      // x-zm-trackingid is not signed, and Zoom's retries resend the same body (event_ts included) re-signed:
      // the signed bytes are what identify a delivery.
      dedupKey: bodyDigest(req.body),
      type: body.event,
      subject: typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? String(id) : undefined,
      occurredAt: typeof body.event_ts === 'number' && Number.isInteger(body.event_ts) && body.event_ts > 0 && body.event_ts <= MAX_DATE_MS ? new Date(body.event_ts).toISOString() : undefined,
      payload: body
    }
  }
})
