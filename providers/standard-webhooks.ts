/**
 * Standard Webhooks / Svix, the one implementation: verification for Clerk
 * and any Svix-based provider, and signing for destinations and samples.
 * Clause numbers cite docs/provider-specs.md §1.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'
import {
  HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING, HG_ERR_TIMESTAMP_INVALID, HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE
} from '../src/errors.js'
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

// Decoding a secret costs more than the HMAC of a small body, so each is decoded
// once. Bounded so a misuse (a secret per request) cannot grow it without end;
// a malformed secret is cached as null and never matches (an empty key would let
// anyone sign).
const MAX_CACHED_KEYS = 1024
const keys = new Map<string, KeyObject | null>()

function keyFor (secret: string): KeyObject | null {
  let key = keys.get(secret)
  if (key !== undefined) return key
  key = validateStandardWebhooksSecret(secret) === null
    ? createSecretKey(Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64'))
    : null
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
  const key = keyFor(secret)
  if (key === null) throw new TypeError(`cannot sign: ${validateStandardWebhooksSecret(secret)}`)
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
  const skewMs = now - timestampSec * 1000
  if (skewMs > options.toleranceMs) throw new HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE('old') // §1.6: inclusive
  if (-skewMs > options.toleranceMs) throw new HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE('new')

  // §1.5: space-separated entries, only `v1,` counts; others (v1a, v2, blanks)
  // are ignored. Compare the base64 text like the JS lib; the length is public.
  // A repeated header reaches us joined with ', ' (Node's rule for unknown
  // headers): base64 has no comma, so a trailing one is that join's, and
  // dropping it makes every entry count whatever order the headers came in.
  const candidates: Buffer[] = []
  for (const entry of signature.split(/[ \t]+/)) {
    if (!entry.startsWith('v1,')) continue
    const text = Buffer.from(entry.slice(3).replace(/,$/, '')) // UTF-8, so no other character can alias an ASCII one
    if (text.length === SIGNATURE_TEXT_LENGTH) candidates.push(text)
  }
  if (candidates.length > 0) {
    const prefix = `${id}.${timestamp}.`
    for (const secret of secrets) {
      const key = keyFor(secret)
      if (key === null) continue
      const expected = Buffer.from(mac(key, prefix, req.body))
      for (const candidate of candidates) if (timingSafeEqual(candidate, expected)) return { id, timestampSec }
    }
  }
  throw new HG_ERR_SIGNATURE_INVALID()
}
