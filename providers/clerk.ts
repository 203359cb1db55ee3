/**
 * Clerk delivers through Svix (docs/provider-specs.md §2.5), so the signature is
 * Standard Webhooks; this file only reads Clerk's envelope (§2.2):
 * `{ type, data, object: 'event', timestamp (epoch ms), … }`.
 */
import { verifyTypedStandardWebhook } from './standard-webhooks-provider.js'
import { standardWebhooksHeaders, validateStandardWebhooksSecret } from './standard-webhooks.js'
import type { Provider, VerifiedEvent } from './types.js'

export const clerk: Provider = Object.freeze<Provider>({
  name: 'clerk',
  storedHeaders: standardWebhooksHeaders,
  validateSecret: validateStandardWebhooksSecret,

  verify (req, secrets, now, options): VerifiedEvent {
    const { id, body, subject } = verifyTypedStandardWebhook(req, secrets, now, options, 'Clerk')
    return { dedupKey: id, type: body.type, subject, occurredAt: isoFromMs(body.timestamp), payload: body }
  }
})

// §2.2: `timestamp` is epoch milliseconds. Out-of-range numbers give no time
// rather than a RangeError from toISOString().
function isoFromMs (value: unknown): string | undefined {
  if (typeof value !== 'number') return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}
