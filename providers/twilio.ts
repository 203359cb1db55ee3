/**
 * Twilio (docs/provider-specs.md §4.5): `X-Twilio-Signature` is the base64
 * HMAC-SHA1, keyed with the auth token, of the URL Twilio posted to (the
 * source's `publicUrl`, as configured at Twilio) followed by every form
 * parameter as name+value, names sorted, a repeated name's values
 * de-duplicated and sorted. Like twilio-node's validateRequest, the URL is
 * tried as given and with its default port toggled. No timestamp is signed.
 * Dedup on `I-Twilio-Idempotency-Token`, else the body digest.
 */
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING } from '../src/errors.js'
import { utf8 } from './json.js'
import { bodyDigest, macMatches, validateSharedSecret } from './mac.js'
import { parsePublicUrlOptions, type PublicUrlOptions } from './public-url.js'
import type { Provider, VerifiedEvent } from './types.js'

const BASE64_SHA1 = /^[A-Za-z0-9+/]{27}=$/
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
    let params: Map<string, string[]> | undefined
    try { params = formParams(utf8.decode(req.body)) } catch { params = undefined }
    const signedParams = params === undefined ? undefined : canonical(params)
    if (signedParams === undefined || !urlVariants(publicUrl).some((url) => macMatches(given, secrets, 'sha1', url, signedParams))) {
      throw new HG_ERR_SIGNATURE_INVALID()
    }

    const payload = Object.fromEntries([...params!].map(([name, values]) => [name, values.length === 1 ? values[0]! : values]))
    const type = TYPE_PARAMS.map((name) => params!.get(name)?.[0]).find((value) => value !== undefined && value !== '')
    if (type === undefined) throw new HG_ERR_PAYLOAD_INVALID('Twilio', `no ${TYPE_PARAMS.join(', ')} parameter`)
    const subject = params!.get('MessageSid')?.[0] ?? params!.get('CallSid')?.[0]
    return { dedupKey: req.headers['i-twilio-idempotency-token']?.trim() || bodyDigest(req.body), type, subject, payload }
  }
})

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
