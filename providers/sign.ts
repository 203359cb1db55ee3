/**
 * Signs requests the way each provider does, for tests, the benchmark and
 * `hookgate send` (whose samples are in samples.ts). Clerk signs with the
 * Standard Webhooks code that also verifies; the tests hold both to svix's own
 * Webhook (a devDependency), the library Clerk's senders use.
 */
import { createHmac, randomBytes, sign as signBytes, type KeyObject } from 'node:crypto'
import type { HmacScheme } from './hmac-options.js'
import { utf8 } from './json.js'
import { signStandardWebhook } from './standard-webhooks.js'

export function signClerk ({ id, timestampSec, body, secret }: {
  id: string, timestampSec: number, body: Buffer | string, secret: string
}): Record<'svix-id' | 'svix-timestamp' | 'svix-signature' | 'content-type', string> {
  // Svix senders sign a string: decoding fatally refuses bytes that are not the UTF-8 of one.
  const payload = typeof body === 'string' ? body : utf8.decode(body)
  return {
    'svix-id': id,
    'svix-timestamp': String(timestampSec),
    'svix-signature': signStandardWebhook(secret, id, timestampSec, payload)['webhook-signature'],
    'content-type': 'application/json'
  }
}

/** Chaindoc SDK 2.x (docs/provider-specs.md §3.2): `v1=` hex HMAC of `${timestamp}.${body}`. */
export function signChaindoc ({ timestampIso, body, secret }: {
  timestampIso: string, body: Buffer | string, secret: string
}): Record<'x-chaindoc-signature' | 'x-chaindoc-timestamp' | 'content-type', string> {
  const hex = createHmac('sha256', secret).update(timestampIso).update('.').update(body).digest('hex')
  return { 'x-chaindoc-signature': `v1=${hex}`, 'x-chaindoc-timestamp': timestampIso, 'content-type': 'application/json' }
}

/** Chaindoc legacy (§3.3): hex HMAC of the body, event name in its own header. */
export function signChaindocLegacy ({ body, secret, event }: {
  body: Buffer | string, secret: string, event: string
}): Record<'x-webhook-signature' | 'x-webhook-event' | 'content-type', string> {
  const hex = createHmac('sha256', secret).update(body).digest('hex')
  return { 'x-webhook-signature': hex, 'x-webhook-event': event, 'content-type': 'application/json' }
}

/** GitHub (§4.1): `sha256=` hex HMAC of the body, with the event and a delivery GUID. */
export function signGithub ({ body, secret, event, delivery }: {
  body: Buffer | string, secret: string, event: string, delivery: string
}): Record<'x-hub-signature-256' | 'x-github-event' | 'x-github-delivery' | 'content-type', string> {
  const hex = createHmac('sha256', secret).update(body).digest('hex')
  return { 'x-hub-signature-256': `sha256=${hex}`, 'x-github-event': event, 'x-github-delivery': delivery, 'content-type': 'application/json' }
}

/** Stripe (§4.2): `t=<sec>,v1=<hex>` over `${t}.${body}`, the secret used as is. */
export function signStripe ({ body, secret, timestampSec }: {
  body: Buffer | string, secret: string, timestampSec: number
}): Record<'stripe-signature' | 'content-type', string> {
  const hex = createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex')
  return { 'stripe-signature': `t=${timestampSec},v1=${hex}`, 'content-type': 'application/json; charset=utf-8' }
}

/** Shopify (§4.3): base64 HMAC-SHA256 of the body, with the topic, shop and webhook id. */
export function signShopify ({ body, secret, topic, webhookId, triggeredAt }: {
  body: Buffer | string, secret: string, topic: string, webhookId: string, triggeredAt: string
}): Record<string, string> {
  return {
    'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
    'x-shopify-topic': topic,
    'x-shopify-shop-domain': 'example.myshopify.com',
    'x-shopify-api-version': '2025-07',
    'x-shopify-webhook-id': webhookId,
    'x-shopify-triggered-at': triggeredAt,
    'content-type': 'application/json'
  }
}

/** The generic hmac provider, as the source's scheme (providers/hmac-options.ts) says a sender signs. */
export function signHmac ({ body, secret, scheme, timestampSec, id, type }: {
  body: Buffer | string, secret: string, scheme: HmacScheme, timestampSec: number, id: string, type: string
}): Record<string, string> {
  const timestamp = String(timestampSec)
  const signed = scheme.signed.between === null ? scheme.signed.before : scheme.signed.before + timestamp + scheme.signed.between
  const headers: Record<string, string> = {
    [scheme.header]: scheme.prefix + createHmac(scheme.algorithm, secret).update(signed).update(body).digest(scheme.encoding),
    'content-type': 'application/json'
  }
  if (scheme.timestampHeader !== null) headers[scheme.timestampHeader] = timestamp
  if (typeof scheme.dedup === 'object' && 'header' in scheme.dedup) headers[scheme.dedup.header] = id
  if ('header' in scheme.type) headers[scheme.type.header] = type
  return headers
}

/** Slack (docs/provider-specs.md §4.4): `v0=` hex HMAC-SHA256 of `v0:${timestamp}:${body}`. */
export function signSlack ({ timestampSec, body, secret, contentType = 'application/json' }: {
  timestampSec: number, body: Buffer | string, secret: string, contentType?: string
}): Record<'x-slack-signature' | 'x-slack-request-timestamp' | 'content-type', string> {
  const hex = createHmac('sha256', secret).update(`v0:${timestampSec}:`).update(body).digest('hex')
  return { 'x-slack-signature': `v0=${hex}`, 'x-slack-request-timestamp': String(timestampSec), 'content-type': contentType }
}

/**
 * Discord: hex ed25519 signature of timestamp + body with the application's
 * private key, which only Discord holds; tests sign with a key pair of their own.
 */
export function signDiscord ({ timestampSec, body, privateKey }: {
  timestampSec: number, body: Buffer | string, privateKey: KeyObject
}): Record<'x-signature-ed25519' | 'x-signature-timestamp' | 'content-type', string> {
  const signature = signBytes(null, Buffer.concat([Buffer.from(String(timestampSec)), Buffer.from(body)]), privateKey).toString('hex')
  return { 'x-signature-ed25519': signature, 'x-signature-timestamp': String(timestampSec), 'content-type': 'application/json' }
}

/** The hex of an ed25519 public key's 32 raw bytes: what a Discord source's secret is (Developer Portal → Public Key). */
export function discordPublicKeyHex (publicKey: KeyObject): string {
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError(`an ed25519 key is needed, not ${publicKey.asymmetricKeyType ?? 'a secret key'}`)
  return (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32).toString('hex')
}

/** Meta (X-Hub-Signature-256): `sha256=` hex HMAC-SHA256 of the body, keyed with the app secret. */
export function signMeta ({ body, secret }: { body: Buffer | string, secret: string }): Record<'x-hub-signature-256' | 'content-type', string> {
  return { 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`, 'content-type': 'application/json' }
}

/** Zoom: `v0=` hex HMAC-SHA256 of `v0:${timestamp}:${body}`, keyed with the app's secret token. */
export function signZoom ({ timestampSec, body, secret }: {
  timestampSec: number, body: Buffer | string, secret: string
}): Record<'x-zm-signature' | 'x-zm-request-timestamp' | 'x-zm-trackingid' | 'content-type', string> {
  const hex = createHmac('sha256', secret).update(`v0:${timestampSec}:`).update(body).digest('hex')
  return { 'x-zm-signature': `v0=${hex}`, 'x-zm-request-timestamp': String(timestampSec), 'x-zm-trackingid': `WEB_${randomBytes(16).toString('hex')}`, 'content-type': 'application/json; charset=utf-8' }
}
