/**
 * Chaindoc, two schemes told apart by header (docs/provider-specs.md §3):
 * - current (SDK 2.x, §3.2): `x-chaindoc-signature: v1=<hex>` over
 *   `${x-chaindoc-timestamp}.${body}`, envelope `{ id, type, createdAt, data }`;
 * - legacy (§3.3): `x-webhook-signature: <hex>`
 *   over the body, no timestamp, no id.
 * Both are HMAC-SHA256 keyed with the secret's UTF-8 bytes.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import {
  HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING, HG_ERR_TIMESTAMP_INVALID
} from '../src/errors.js'
import { requireWithinTolerance } from './tolerance.js'
import { isObject, parseObject, utf8 } from './json.js'
import type { ParsedOptions, Provider, RawRequest, VerifiedEvent } from './types.js'

/** A Chaindoc source's `options`. */
export interface ChaindocOptions {
  /** false refuses the legacy scheme (no timestamp, so replayable) once Chaindoc signs with v1; true by default. */
  readonly legacyScheme: boolean
  /**
   * true: the legacy scheme also accepts a signature over the body
   * re-serialised (JSON.stringify(JSON.parse(body))), as the sample on
   * Chaindoc's older webhooks page computes it (docs/provider-specs.md §3.3);
   * off by default.
   */
  readonly legacyReserialized: boolean
}
const DEFAULT_OPTIONS: ChaindocOptions = Object.freeze({ legacyScheme: true, legacyReserialized: false })

const SIGNATURE = /^v1=([0-9a-f]{64})$/i // §3.2 step 3; one signature, hex in either case
const LEGACY_SIGNATURE = /^[0-9a-f]{64}$/i
// An explicit zone is required: without one Date reads local time, and the
// verdict would depend on the gateway's TZ.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/
const SUBJECT_KEYS = ['documentId', 'contractId', 'signatureRequestId', 'requestId', 'invoiceId', 'transactionId', 'id'] as const

export const chaindoc: Provider = Object.freeze<Provider>({
  name: 'chaindoc',
  storedHeaders: ['x-chaindoc-signature', 'x-chaindoc-timestamp', 'x-chaindoc-event', 'x-chaindoc-delivery-id',
    'x-webhook-signature', 'x-webhook-event'],
  parseOptions: parseChaindocOptions,

  // Chaindoc asks for ≥ 32 chars but its own test secret is 'webhook-secret',
  // so only the mistakes that are surely mistakes are refused.
  validateSecret (secret) {
    if (secret === '') return 'the secret is empty'
    return secret.trim() === secret ? null : 'the secret has leading or trailing whitespace'
  },

  verify (req, secrets, now, { toleranceMs, options = DEFAULT_OPTIONS }): VerifiedEvent {
    const { legacyScheme, legacyReserialized } = options as ChaindocOptions
    // The current header wins and never falls back to legacy: a stripped
    // header must not downgrade a delivery to the scheme without replay window.
    const current = req.headers['x-chaindoc-signature']?.trim()
    if (current) return verifyCurrent(req, current, secrets, now, toleranceMs)
    const legacy = req.headers['x-webhook-signature']?.trim()
    // Switched off, a legacy signature is one this source never matches, however well made.
    if (!legacyScheme) throw legacy ? new HG_ERR_SIGNATURE_INVALID() : new HG_ERR_SIGNATURE_MISSING('x-chaindoc-signature')
    if (legacy) return verifyLegacy(req, legacy, secrets, legacyReserialized)
    throw new HG_ERR_SIGNATURE_MISSING('x-chaindoc-signature (or legacy x-webhook-signature)')
  }
})

function verifyCurrent (req: RawRequest, signature: string, secrets: readonly string[], now: number, toleranceMs: number): VerifiedEvent {
  const timestamp = req.headers['x-chaindoc-timestamp'] // signed as received (§3.2 step 4)
  if (!timestamp) throw new HG_ERR_SIGNATURE_MISSING('x-chaindoc-timestamp')
  const sentAt = ISO_TIME.test(timestamp) ? Date.parse(timestamp) : NaN
  if (Number.isNaN(sentAt)) throw new HG_ERR_TIMESTAMP_INVALID()
  requireWithinTolerance(sentAt, now, toleranceMs) // §3.2 step 2: inclusive
  const hex = SIGNATURE.exec(signature)?.[1]
  if (hex === undefined || !signedBy(Buffer.from(hex, 'hex'), secrets, timestamp, '.', req.body)) throw new HG_ERR_SIGNATURE_INVALID()

  const body = parseObject(req.body, 'Chaindoc')
  const { id, type, createdAt, data } = body
  if (typeof id !== 'string' || id === '' || typeof type !== 'string' || type === '' ||
      typeof createdAt !== 'string' || !isObject(data)) {
    throw new HG_ERR_PAYLOAD_INVALID('Chaindoc', 'not an envelope { id, type, createdAt, data }')
  }
  return { dedupKey: id, type, occurredAt: createdAt, subject: subjectOf(data), payload: body }
}

function verifyLegacy (req: RawRequest, signature: string, secrets: readonly string[], reserialized: boolean): VerifiedEvent {
  const given = LEGACY_SIGNATURE.test(signature) ? Buffer.from(signature, 'hex') : undefined
  // The sample on Chaindoc's older webhooks page (https://chaindoc.io/docs/webhooks,
  // docs/provider-specs.md §3.3) verifies req.body after express.json(), so it
  // signs JSON.stringify of the parsed body, not the bytes. A re-serialised
  // match is weaker: the received bytes are not the signed bytes, and a
  // duplicated key ({"documentId":"B","documentId":"A"}) re-serialises to the
  // signed string while a first-key parser downstream reads what nobody
  // signed. So it is a source's explicit choice, tried only after the raw
  // bytes, and when it matches the signed string is what is stored and forwarded.
  if (given === undefined) throw new HG_ERR_SIGNATURE_INVALID()
  const signed = signedBy(given, secrets, req.body)
    ? req.body
    : reserialized ? signedReserialized(given, secrets, req.body) : undefined
  if (signed === undefined) throw new HG_ERR_SIGNATURE_INVALID()

  const body = parseObject(signed, 'Chaindoc')
  // body.event is signed, the header is not: prefer the body, refuse a mismatch.
  const header = req.headers['x-webhook-event']?.trim() || undefined
  const type = typeof body.event === 'string' && body.event !== '' ? body.event : header
  if (type === undefined) throw new HG_ERR_PAYLOAD_INVALID('Chaindoc', 'no event type in x-webhook-event or body.event')
  if (header !== undefined && header !== type) throw new HG_ERR_PAYLOAD_INVALID('Chaindoc', 'x-webhook-event differs from body.event')
  return {
    // No delivery id exists, so the same signed bytes are the same delivery.
    // The digest is of what was signed: had the fallback matched, a replay
    // with its whitespace or escapes changed re-serialises to the same string
    // and lands on the same key, rather than being stored again.
    dedupKey: 'sha256:' + createHash('sha256').update(signed).digest('hex'),
    type,
    occurredAt: typeof body.timestamp === 'string' ? body.timestamp : undefined,
    subject: subjectOf(body.data) ?? subjectOf(body),
    payload: body,
    ...(signed === req.body ? {} : { signedBody: signed })
  }
}

/** Constant-time: does any secret's HMAC of the parts equal `given`? */
function signedBy (given: Buffer, secrets: readonly string[], ...parts: ReadonlyArray<string | Buffer | undefined>): boolean {
  if (parts.includes(undefined) || given.length !== 32) return false
  for (const secret of secrets) {
    if (secret === '') continue // an empty key would let anyone sign
    const hmac = createHmac('sha256', secret)
    for (const part of parts) hmac.update(part as string | Buffer)
    if (timingSafeEqual(given, hmac.digest())) return true
  }
  return false
}

/** The re-serialised body when the signature is over it (the fallback above), else undefined. */
function signedReserialized (given: Buffer, secrets: readonly string[], bytes: Buffer): Buffer | undefined {
  let text: string
  try { text = JSON.stringify(JSON.parse(utf8.decode(bytes))) } catch { return undefined }
  return signedBy(given, secrets, text) ? Buffer.from(text) : undefined
}
function parseChaindocOptions (options: Readonly<Record<string, unknown>>): ParsedOptions {
  const problems = Object.keys(options).filter((key) => !Object.hasOwn(DEFAULT_OPTIONS, key)).map((key) => `unknown key '${key}' (known: legacyScheme, legacyReserialized)`)
  const { legacyScheme = true, legacyReserialized = false } = options
  if (typeof legacyScheme !== 'boolean') problems.push('legacyScheme: true or false')
  if (typeof legacyReserialized !== 'boolean') problems.push('legacyReserialized: true or false')
  if (legacyReserialized === true && legacyScheme === false) problems.push('legacyReserialized: the legacy scheme is switched off (legacyScheme: false), so there is nothing to fall back from')
  return problems.length > 0 ? { problems } : { options: Object.freeze<ChaindocOptions>({ legacyScheme: legacyScheme as boolean, legacyReserialized: legacyReserialized as boolean }) }
}

function subjectOf (value: unknown): string | undefined {
  if (!isObject(value)) return undefined
  for (const key of SUBJECT_KEYS) {
    const id = value[key]
    if (typeof id === 'string' && id !== '') return id
  }
  return undefined
}
