/**
 * Twilio (docs/provider-specs.md §4.5): `X-Twilio-Signature` is the base64
 * HMAC-SHA1, keyed with the auth token, of the URL Twilio posted to (the
 * source's `publicUrl`, as configured at Twilio) followed by every form
 * parameter as name+value, names sorted, a repeated name's values
 * de-duplicated and sorted. Like twilio-node's validateRequest, the URL is
 * tried as given and with its default port toggled. A JSON body is signed
 * another way: the URL with a `bodySHA256` query parameter appended, and the
 * body held to that digest. No timestamp is signed.
 * Dedup on `I-Twilio-Idempotency-Token`, else the body digest.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING } from '../src/errors.js'
import { parseObject, utf8 } from './json.js'
import { bodyDigest, macMatches, validateSharedSecret } from './mac.js'
import { parsePublicUrlOptions, type PublicUrlOptions } from './public-url.js'
import type { Provider, RawRequest, VerifiedEvent } from './types.js'

const BASE64_SHA1 = /^[A-Za-z0-9+/]{27}=$/
const HEX_SHA256 = /^[0-9a-f]{64}$/
const TYPE_PARAMS = ['MessageStatus', 'SmsStatus', 'CallStatus', 'EventType'] as const

export const twilio: Provider = Object.freeze<Provider>({
  name: 'twilio',
  storedHeaders: ['x-twilio-signature', 'i-twilio-idempotency-token'],
  validateSecret: validateSharedSecret,
  parseOptions: parsePublicUrlOptions,

  verify (req, secrets, _now, { options }): VerifiedEvent {
    const { publicUrl } = options as PublicUrlOptions
    const signature = req.headers['x-twilio-signature']?.trim()
    if (!signature) throw new HG_ERR_SIGNATURE_MISSING('x-twilio-signature')
    const given = BASE64_SHA1.test(signature) ? Buffer.from(signature, 'base64') : undefined
    const bodySha256 = req.query?.getAll('bodySHA256') ?? []
    const fields = bodySha256.length > 0 ? jsonFields(req, publicUrl, given, secrets, bodySha256) : formFields(req, publicUrl, given, secrets)

    const type = TYPE_PARAMS.map((name) => fields[name]).find((value): value is string => typeof value === 'string' && value !== '')
    if (type === undefined) throw new HG_ERR_PAYLOAD_INVALID('Twilio', `no ${TYPE_PARAMS.join(', ')} parameter`)
    const subject = [fields.MessageSid, fields.CallSid].find((value): value is string => typeof value === 'string')
    return { dedupKey: req.headers['i-twilio-idempotency-token']?.trim() || bodyDigest(req.body), type, subject, payload: fields }
  }
})

/** A form post: the URL and the sorted parameters are signed (§4.5); the payload is the parameters, a repeated one as a list. */
function formFields (req: RawRequest, publicUrl: string, given: Buffer | undefined, secrets: readonly string[]): Record<string, unknown> {
  let params: Map<string, string[]> | undefined
  try { params = formParams(utf8.decode(req.body)) } catch { params = undefined }
  const signedParams = params === undefined ? undefined : canonical(params)
  if (signedParams === undefined || !urlVariants(publicUrl).some((url) => macMatches(given, secrets, 'sha1', url, signedParams))) {
    throw new HG_ERR_SIGNATURE_INVALID()
  }
  return Object.fromEntries([...params!].map(([name, values]) => [name, values.length === 1 ? values[0]! : values]))
}

/**
 * A JSON post (§4.5, twilio-node's validateRequestWithBody): Twilio appends
 * `bodySHA256=<hex SHA-256 of the body>` to the URL and signs that URL alone;
 * the body is then held to the digest.
 */
function jsonFields (req: RawRequest, publicUrl: string, given: Buffer | undefined, secrets: readonly string[], bodySha256: readonly string[]): Record<string, unknown> {
  const claimed = bodySha256.length === 1 && HEX_SHA256.test(bodySha256[0]!) ? bodySha256[0]! : undefined
  const signedUrl = (url: string) => `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${claimed}`
  if (claimed === undefined || !urlVariants(publicUrl).some((url) => macMatches(given, secrets, 'sha1', signedUrl(url)))) throw new HG_ERR_SIGNATURE_INVALID()
  if (!timingSafeEqual(createHash('sha256').update(req.body).digest(), Buffer.from(claimed, 'hex'))) throw new HG_ERR_SIGNATURE_INVALID()
  return parseObject(req.body, 'Twilio')
}

function formParams (text: string): Map<string, string[]> {
  const params = new Map<string, string[]>()
  for (const [name, value] of new URLSearchParams(text)) params.set(name, [...(params.get(name) ?? []), value])
  return params
}

/** §4.5: sorted names, each followed by its sorted, de-duplicated values. */
function canonical (params: Map<string, string[]>): string {
  return [...params.keys()].sort().map((name) => [...new Set(params.get(name))].sort().map((value) => name + value).join('')).join('')
}

/** The URL as configured, and with its scheme's default port added or removed (§4.5, validateRequest). */
function urlVariants (publicUrl: string): string[] {
  const url = new URL(publicUrl)
  const port = url.protocol === 'https:' ? '443' : '80'
  const withPort = publicUrl.replace(/^(https?:\/\/[^/?#]+?)(:\d+)?(?=[/?#]|$)/, (_m, host: string) => `${host}:${port}`)
  const withoutPort = publicUrl.replace(new RegExp(`^(https?://[^/?#]+?):${port}(?=[/?#]|$)`), '$1')
  return [...new Set([publicUrl, withPort, withoutPort])]
}
