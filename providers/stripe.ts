/**
 * Stripe (docs/provider-specs.md §4.2): `Stripe-Signature: t=<sec>,v1=<hex>[,v1=…]`,
 * HMAC-SHA256 of `${t}.${body}` keyed with the secret as is (whsec_ included,
 * never base64-decoded); several v1 during a secret roll; v0 and others ignored.
 * Dedup on the event `id` (evt_…), type `type`, subject `data.object.id`.
 */
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID } from '../src/errors.js'
import { signedAtHeader } from './tolerance.js'
import { isObject, parseObject } from './json.js'
import { macMatches } from './mac.js'
import type { Provider, VerifiedEvent } from './types.js'

export const stripe: Provider = Object.freeze<Provider>({
  name: 'stripe',
  storedHeaders: ['stripe-signature'],

  validateSecret (secret) {
    if (/^[spr]k_(live|test)_/.test(secret)) return 'this is a Stripe API key; use the endpoint\'s signing secret (whsec_…)'
    return secret.startsWith('whsec_') && secret.length > 'whsec_'.length ? null : 'a Stripe signing secret starts with whsec_'
  },

  verify (req, secrets, now, options): VerifiedEvent {
    // Stripe's library refuses only the past; the gateway's tolerance is both ways, so a clock far ahead is refused too.
    const { timestamp: t, signatures } = signedAtHeader(req, 'stripe-signature', { separator: ',', timestampKey: 't', signatureKey: 'v1' }, now, options.toleranceMs)
    if (!signatures.some((given) => macMatches(given, secrets, 'sha256', t, '.', req.body))) throw new HG_ERR_SIGNATURE_INVALID()

    const body = parseObject(req.body, 'Stripe')
    const { id, type, created, data } = body
    if (typeof id !== 'string' || id === '' || typeof type !== 'string' || type === '') throw new HG_ERR_PAYLOAD_INVALID('Stripe', 'no string "id" and "type"')
    const object = isObject(data) && isObject(data.object) ? data.object : undefined
    const occurredAt = typeof created === 'number' && Number.isSafeInteger(created) ? new Date(created * 1000).toISOString() : undefined
    return { dedupKey: id, type, subject: typeof object?.id === 'string' ? object.id : undefined, occurredAt, payload: body }
  }
})
