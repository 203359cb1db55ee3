/**
 * Generic HMAC, for a sender hookgate has no provider for: the source's
 * `options` say which header carries the MAC, the algorithm, the encoding, a
 * prefix, what is signed (`{body}`, or `{timestamp}.{body}` and the like with
 * a timestamp header and the source's tolerance), and where the dedup id and
 * the type are (a header, a JSON pointer into the body, or the body digest).
 * Keyed with the secret's UTF-8 bytes, over the exact body.
 */
import {
  HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING, HG_ERR_TIMESTAMP_INVALID
} from '../src/errors.js'
import { requireWithinTolerance } from './tolerance.js'
import { parseHmacOptions, type HmacScheme } from './hmac-options.js'
import { isObject, parseObject } from './json.js'
import { bodyDigest, macMatches, validateSharedSecret } from './mac.js'
import type { Provider, RawRequest, VerifiedEvent } from './types.js'

const DIGEST_BYTES = { sha1: 20, sha256: 32, sha512: 64 } as const
const SECONDS = /^\d{1,12}$/

export const hmac: Provider = Object.freeze<Provider>({
  name: 'hmac',
  // The configured header names are per source; these are the common ones worth keeping for re-verification.
  storedHeaders: ['x-signature', 'x-hub-signature-256', 'x-webhook-signature', 'x-timestamp', 'x-webhook-id', 'x-event-type'],
  validateSecret: validateSharedSecret,
  parseOptions: parseHmacOptions,

  verify (req, secrets, now, { toleranceMs, options }): VerifiedEvent {
    const scheme = options as HmacScheme | undefined
    if (scheme === undefined) throw new TypeError('the hmac provider needs its options (parseOptions was not applied)')
    const header = req.headers[scheme.header]?.trim()
    if (!header) throw new HG_ERR_SIGNATURE_MISSING(scheme.header)
    const given = decodeMac(header, scheme)

    let timestamp = ''
    if (scheme.signed.between !== null) {
      timestamp = req.headers[scheme.timestampHeader!]?.trim() ?? ''
      if (timestamp === '') throw new HG_ERR_SIGNATURE_MISSING(scheme.timestampHeader!)
      if (!SECONDS.test(timestamp)) throw new HG_ERR_TIMESTAMP_INVALID()
      requireWithinTolerance(Number(timestamp) * 1000, now, toleranceMs)
    }
    const prefix = scheme.signed.between === null ? scheme.signed.before : scheme.signed.before + timestamp + scheme.signed.between
    if (!macMatches(given, secrets, scheme.algorithm, prefix, req.body)) throw new HG_ERR_SIGNATURE_INVALID()

    const body = parseObject(req.body, 'hmac')
    const type = 'header' in scheme.type ? req.headers[scheme.type.header]?.trim() : at(body, scheme.type.pointer)
    if (typeof type !== 'string' || type === '') throw new HG_ERR_PAYLOAD_INVALID('hmac', 'no event type where the options say')
    return { dedupKey: dedupKey(req, body, scheme), type, payload: body }
  }
})

/** The MAC's bytes, or undefined when the header is not prefix + a MAC of the right length in the right encoding. */
function decodeMac (header: string, scheme: HmacScheme): Buffer | undefined {
  if (!header.startsWith(scheme.prefix)) return undefined
  const encoded = header.slice(scheme.prefix.length)
  const bytes = DIGEST_BYTES[scheme.algorithm]
  if (scheme.encoding === 'hex') return encoded.length === bytes * 2 && /^[0-9a-f]+$/i.test(encoded) ? Buffer.from(encoded, 'hex') : undefined
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : undefined
  return decoded?.length === bytes && decoded.toString('base64') === encoded ? decoded : undefined
}

function dedupKey (req: RawRequest, body: Record<string, unknown>, scheme: HmacScheme): string {
  if (scheme.dedup === 'digest') return bodyDigest(req.body)
  const id = 'header' in scheme.dedup ? req.headers[scheme.dedup.header]?.trim() : at(body, scheme.dedup.pointer)
  if ((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id))) return String(id)
  throw new HG_ERR_PAYLOAD_INVALID('hmac', 'no delivery id where the options say')
}

function at (value: unknown, pointer: readonly string[]): unknown {
  for (const token of pointer) {
    if (Array.isArray(value) && /^(0|[1-9]\d*)$/.test(token)) value = value[Number(token)]
    else if (isObject(value) && Object.hasOwn(value, token)) value = value[token]
    else return undefined
  }
  return value
}
