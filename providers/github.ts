/**
 * GitHub (docs/provider-specs.md §4.1): `X-Hub-Signature-256: sha256=<hex>`,
 * HMAC-SHA256 of the body with the secret's UTF-8 bytes; no timestamp exists.
 * Dedup on `X-GitHub-Delivery` (the same on a manual redelivery); type is
 * `X-GitHub-Event` plus the body's `action` (`pull_request.opened`).
 */
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING } from '../src/errors.js'
import { isObject, parseObject, utf8 } from './json.js'
import { bodyDigest, macMatches, validateSharedSecret } from './mac.js'
import type { Provider, RawRequest, VerifiedEvent } from './types.js'

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i // §4.1: "always starts with sha256="
const EVENT = /^[a-z0-9_]{1,64}$/

export const github: Provider = Object.freeze<Provider>({
  name: 'github',
  storedHeaders: ['x-hub-signature-256', 'x-github-event', 'x-github-delivery', 'x-github-hook-id',
    'x-github-hook-installation-target-type', 'x-github-hook-installation-target-id'],
  validateSecret: validateSharedSecret,

  verify (req, secrets): VerifiedEvent {
    const signature = req.headers['x-hub-signature-256']?.trim()
    if (!signature) throw new HG_ERR_SIGNATURE_MISSING('x-hub-signature-256')
    const hex = SIGNATURE.exec(signature)?.[1]
    if (!macMatches(hex === undefined ? undefined : Buffer.from(hex, 'hex'), secrets, 'sha256', req.body)) throw new HG_ERR_SIGNATURE_INVALID()

    const event = req.headers['x-github-event']?.trim() ?? ''
    if (!EVENT.test(event)) throw new HG_ERR_PAYLOAD_INVALID('GitHub', 'no X-GitHub-Event header')
    const body = githubBody(req)
    const action = typeof body.action === 'string' && body.action !== '' ? `.${body.action}` : ''
    const repository = isObject(body.repository) && typeof body.repository.full_name === 'string' ? body.repository.full_name : undefined
    // The delivery GUID is not signed, but only the sender's header picks it; without one the signed bytes decide.
    const delivery = req.headers['x-github-delivery']?.trim()
    return { dedupKey: delivery || bodyDigest(req.body), type: event + action, subject: repository, payload: body }
  }
})

/** A hook may be set to `application/x-www-form-urlencoded`: the JSON is then the `payload` field (signed as the whole form). */
function githubBody (req: RawRequest): Record<string, unknown> {
  if (!req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return parseObject(req.body, 'GitHub')
  let payload: string | null
  try { payload = new URLSearchParams(utf8.decode(req.body)).get('payload') } catch { payload = null }
  if (payload === null) throw new HG_ERR_PAYLOAD_INVALID('GitHub', 'form body without a payload field')
  return parseObject(Buffer.from(payload), 'GitHub')
}
