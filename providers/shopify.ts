/**
 * Shopify (docs/provider-specs.md §4.3): `X-Shopify-Hmac-Sha256`, base64
 * HMAC-SHA256 of the body with the app's client secret; no timestamp is
 * signed. Old and new secret both listed while a rotation takes effect (up to
 * an hour). Dedup on `X-Shopify-Webhook-Id`, type `X-Shopify-Topic`. The
 * unprefixed `shopify-*` family of the Events product is read as well.
 */
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING } from '../src/errors.js'
import { parseObject } from './json.js'
import { bodyDigest, macMatches, validateSharedSecret } from './mac.js'
import type { Provider, RawRequest, VerifiedEvent } from './types.js'

const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/
const TOPIC = /^[a-z0-9_]+(\/[a-z0-9_]+)*$/

export const shopify: Provider = Object.freeze<Provider>({
  name: 'shopify',
  storedHeaders: ['x-shopify-hmac-sha256', 'x-shopify-topic', 'x-shopify-shop-domain', 'x-shopify-api-version', 'x-shopify-webhook-id',
    'x-shopify-event-id', 'x-shopify-triggered-at', 'shopify-hmac-sha256', 'shopify-topic', 'shopify-shop-domain', 'shopify-event-id'],
  validateSecret: validateSharedSecret,

  verify (req, secrets): VerifiedEvent {
    const signature = header(req, 'hmac-sha256')
    if (signature === undefined) throw new HG_ERR_SIGNATURE_MISSING('x-shopify-hmac-sha256')
    const given = BASE64_SHA256.test(signature) ? Buffer.from(signature, 'base64') : undefined
    if (!macMatches(given, secrets, 'sha256', req.body)) throw new HG_ERR_SIGNATURE_INVALID()

    const topic = header(req, 'topic')
    if (topic === undefined || !TOPIC.test(topic)) throw new HG_ERR_PAYLOAD_INVALID('Shopify', 'no X-Shopify-Topic header')
    const body = parseObject(req.body, 'Shopify')
    const subject = typeof body.admin_graphql_api_id === 'string' ? body.admin_graphql_api_id
      : typeof body.id === 'number' || typeof body.id === 'string' ? String(body.id) : undefined
    const triggeredAt = header(req, 'triggered-at')
    return {
      // Not signed, but chosen by the sender; without it the signed bytes are the delivery.
      dedupKey: header(req, 'webhook-id') ?? bodyDigest(req.body),
      type: topic,
      subject,
      occurredAt: triggeredAt !== undefined && !Number.isNaN(Date.parse(triggeredAt)) ? triggeredAt : undefined,
      payload: body
    }
  }
})

/** `x-shopify-<name>`, else the Events product's `shopify-<name>`; blank counts as absent. */
function header (req: RawRequest, name: string): string | undefined {
  return (req.headers[`x-shopify-${name}`] ?? req.headers[`shopify-${name}`])?.trim() || undefined
}
