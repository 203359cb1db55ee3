/**
 * Any Standard Webhooks sender (OpenAI, Resend, Svix-based apps): the
 * signature is docs/provider-specs.md §1, `v1` HMAC with whsec_ secrets and
 * `v1a` ed25519 with whpk_ public keys, mixed in one `secrets` list for
 * rotation (§1.5). The payload the spec recommends is `{ type, timestamp, data }`.
 */
import { HG_ERR_PAYLOAD_INVALID } from '../src/errors.js'
import { isObject, parseObject } from './json.js'
import { standardWebhooksHeaders, validateStandardWebhooksKey, verifyStandardWebhook } from './standard-webhooks.js'
import type { Provider, RawRequest, VerifiedEvent, VerifyOptions } from './types.js'

export const standardWebhooks: Provider = Object.freeze<Provider>({
  name: 'standard-webhooks',
  storedHeaders: standardWebhooksHeaders,
  validateSecret: validateStandardWebhooksKey,

  verify (req, secrets, now, options): VerifiedEvent {
    const { id, body, subject } = verifyTypedStandardWebhook(req, secrets, now, options, 'Standard Webhooks')
    // The spec's `timestamp` is ISO 8601; anything else gives no time rather than a wrong one.
    const occurredAt = typeof body.timestamp === 'string' && !Number.isNaN(Date.parse(body.timestamp)) ? body.timestamp : undefined
    return { dedupKey: id, type: body.type, subject, occurredAt, payload: body }
  }
})

/**
 * The signature (§1), then the `{ type, data: { id } }` a Standard Webhooks
 * payload carries (Clerk's too): the message id, the parsed body with its
 * string type, and the subject when data has an id. `who` names the sender in
 * the 400.
 */
export function verifyTypedStandardWebhook (req: RawRequest, secrets: readonly string[], now: number, options: VerifyOptions, who: string):
{ id: string, body: Record<string, unknown> & { type: string }, subject: string | undefined } {
  const { id } = verifyStandardWebhook(req, secrets, now, options)
  const body = parseObject(req.body, who)
  if (typeof body.type !== 'string' || body.type === '') throw new HG_ERR_PAYLOAD_INVALID(who, 'no string "type"')
  const data = body.data
  return { id, body: body as Record<string, unknown> & { type: string }, subject: isObject(data) && typeof data.id === 'string' ? data.id : undefined }
}
