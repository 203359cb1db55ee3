/**
 * Standard Webhooks / Svix, the one implementation: verification for Clerk
 * and any Svix-based provider, and signing for destinations and samples.
 * Clause numbers cite docs/provider-specs.md §1.
 */
import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify as verifySignature, type KeyObject } from 'node:crypto'
import {
  HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING, HG_ERR_TIMESTAMP_INVALID
} from '../src/errors.js'
import { requireWithinTolerance } from './tolerance.js'
import type { RawRequest, VerifyOptions } from './types.js'

/** The signed envelope fields, once the signature holds. */
export interface StandardWebhookMessage {
  readonly id: string
  readonly timestampSec: number
}

export const standardWebhooksHeaders = [
  'svix-id', 'svix-timestamp', 'svix-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature'
] as const

const SECRET_PREFIX = 'whsec_'
const PUBLIC_KEY_PREFIX = 'whpk_'
const ED25519_PUBLIC_KEY_BYTES = 32 // §1.4: whpk_ + base64(32 bytes)
const ED25519_SIGNATURE_BYTES = 64 // §1.5 v1a step 3
const MIN_KEY_BYTES = 16 // §1.4: Svix issues 24–64 random bytes; below 16 is a typo, not a key
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const DIGITS = /^\d+$/
const SIGNATURE_TEXT_LENGTH = 44 // base64 of a 32-byte HMAC-SHA256, padded (§1.3)

/** Says what is wrong with a Standard Webhooks secret, or null. Never echoes it. */
export function validateStandardWebhooksSecret (secret: string): string | null {
  if (secret === '') return 'the secret is empty'
  if (/^wh[sp]k1?_/.test(secret)) return 'asymmetric keys (whsk_/whpk_) are not supported; use the whsec_ signing secret'
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  if (!BASE64.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) return 'the secret is not base64 (after an optional whsec_ prefix)'
  const bytes = Buffer.from(encoded, 'base64').length
  if (bytes < MIN_KEY_BYTES) return `the secret decodes to ${bytes} bytes; at least ${MIN_KEY_BYTES} expected`
  return null
}

/** Says what is wrong with a `whpk_` ed25519 public key (§1.4), or null. */
export function validateStandardWebhooksPublicKey (secret: string): string | null {
  const encoded = secret.slice(PUBLIC_KEY_PREFIX.length)
  if (!BASE64.test(encoded)) return 'the whpk_ public key is not base64'
  const bytes = Buffer.from(encoded, 'base64').length
  return bytes === ED25519_PUBLIC_KEY_BYTES ? null : `the whpk_ public key decodes to ${bytes} bytes; an ed25519 key is ${ED25519_PUBLIC_KEY_BYTES}`
}

/** Either kind, mixed in one list for rotation: whsec_ HMAC secrets and whpk_ ed25519 public keys. */
export function validateStandardWebhooksKey (secret: string): string | null {
  if (secret.startsWith(PUBLIC_KEY_PREFIX)) return validateStandardWebhooksPublicKey(secret)
  if (/^whsk1?_/.test(secret)) return 'a whsk_ key is the sender\'s private key; configure its whpk_ public key'
  return validateStandardWebhooksSecret(secret)
}

// Decoding a secret costs more than the HMAC of a small body, so each is decoded
// once. Bounded so a misuse (a secret per request) cannot grow it without end;
// a malformed secret is cached as null and never matches (an empty key would let
// anyone sign).
const MAX_CACHED_KEYS = 1024
const keys = new Map<string, KeyObject | null>()

function keyFor (secret: string): KeyObject | null {
  let key = keys.get(secret)
  if (key !== undefined) return key
  if (secret.startsWith(PUBLIC_KEY_PREFIX)) {
    key = validateStandardWebhooksPublicKey(secret) === null
      ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(secret.slice(PUBLIC_KEY_PREFIX.length), 'base64').toString('base64url') }, format: 'jwk' })
      : null
  } else {
    key = validateStandardWebhooksSecret(secret) === null
      ? createSecretKey(Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64'))
      : null
  }
  if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value as string)
  keys.set(secret, key)
  return key
}

/** `v1,` base64 HMAC-SHA256 of `${id}.${timestamp}.` then the body's bytes, never decoded (§1.3). */
function mac (key: KeyObject, prefix: string, body: Uint8Array | string): string {
  return createHmac('sha256', key).update(prefix).update(body).digest('base64')
}

export interface StandardWebhookHeaders {
  readonly 'webhook-id': string
  readonly 'webhook-timestamp': string
  readonly 'webhook-signature': string
}

/** Signs as a Standard Webhooks sender does. Throws on a secret verify would never match. */
export function signStandardWebhook (secret: string, id: string, timestampSec: number, body: Uint8Array | string): StandardWebhookHeaders {
  const key = secret.startsWith(PUBLIC_KEY_PREFIX) ? null : keyFor(secret)
  if (key === null) throw new TypeError(`cannot sign: ${secret.startsWith(PUBLIC_KEY_PREFIX) ? 'a whpk_ public key only verifies; sign with a whsec_ secret' : validateStandardWebhooksSecret(secret)}`)
  const timestamp = String(timestampSec)
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac(key, `${id}.${timestamp}.`, body)}` }
}

// §1.2: per header svix-X wins over webhook-X, as svix ≥ 1.99 does; values
// trimmed as @clerk/backend does (§2.1). Blank counts as missing.
function header (headers: RawRequest['headers'], svix: string, webhook: string): string {
  return (headers[svix] ?? headers[webhook] ?? '').trim()
}

/**
 * Verifies `${id}.${timestamp}.${body}` (§1.3) on the raw bytes against every
 * secret (rotation, §1.5) and returns the signed id and timestamp. Throws the
 * 401 HG_ERR_SIGNATURE_* / HG_ERR_TIMESTAMP_* errors.
 */
export function verifyStandardWebhook (
  req: RawRequest, secrets: readonly string[], now: number, options: VerifyOptions
): StandardWebhookMessage {
  const id = header(req.headers, 'svix-id', 'webhook-id')
  const timestamp = header(req.headers, 'svix-timestamp', 'webhook-timestamp')
  const signature = header(req.headers, 'svix-signature', 'webhook-signature')
  if (id === '' || timestamp === '' || signature === '') {
    const missing = [id === '' && 'svix-id|webhook-id', timestamp === '' && 'svix-timestamp|webhook-timestamp',
      signature === '' && 'svix-signature|webhook-signature'].filter(Boolean)
    throw new HG_ERR_SIGNATURE_MISSING(missing.join(', '))
  }

  // Strict integer seconds (§1.10 leaves it to us): the JS lib's parseInt would
  // accept '1614265330abc' and sign a number that differs from the header text.
  if (!DIGITS.test(timestamp)) throw new HG_ERR_TIMESTAMP_INVALID()
  const timestampSec = Number(timestamp)
  requireWithinTolerance(timestampSec * 1000, now, options.toleranceMs) // §1.6: inclusive

  // §1.5: space-separated entries; `v1,` (HMAC) and `v1a,` (ed25519) count,
  // others (v2, blanks) are ignored. v1 compares the base64 text like the JS
  // lib; the length is public. A repeated header reaches us joined with ', '
  // (Node's rule for unknown headers): base64 has no comma, so a trailing one
  // is that join's, and dropping it makes every entry count whatever order
  // the headers came in.
  const hmacs: Buffer[] = []
  const ed25519s: Buffer[] = []
  for (const entry of signature.split(/[ \t]+/)) {
    const text = entry.replace(/,$/, '')
    if (text.startsWith('v1,')) {
      const base64 = Buffer.from(text.slice(3)) // UTF-8, so no other character can alias an ASCII one
      if (base64.length === SIGNATURE_TEXT_LENGTH) hmacs.push(base64)
    } else if (text.startsWith('v1a,') && BASE64.test(text.slice(4))) {
      const bytes = Buffer.from(text.slice(4), 'base64')
      if (bytes.length === ED25519_SIGNATURE_BYTES) ed25519s.push(bytes)
    }
  }
  const prefix = `${id}.${timestamp}.`
  for (const secret of secrets) {
    const key = keyFor(secret)
    if (key === null) continue
    if (key.type === 'public') {
      // §1.5 v1a: the key is only ever the configured one, never read from the request.
      if (ed25519s.length === 0) continue
      const message = Buffer.concat([Buffer.from(prefix), req.body])
      for (const candidate of ed25519s) if (verifySignature(null, message, key, candidate)) return { id, timestampSec }
    } else if (hmacs.length > 0) {
      const expected = Buffer.from(mac(key, prefix, req.body))
      for (const candidate of hmacs) if (timingSafeEqual(candidate, expected)) return { id, timestampSec }
    }
  }
  throw new HG_ERR_SIGNATURE_INVALID()
}
