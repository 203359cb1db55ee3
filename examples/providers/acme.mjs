/**
 * An example hookgate provider plugin for a made-up sender, "Acme", that
 * signs like many do: `acme-signature: t=<unix seconds>,v1=<hex HMAC-SHA256
 * of "t.body">`, a delivery id in `acme-delivery`, and a JSON body
 * `{ id, type, created, data: { id } }`. Copy it next to your config, change
 * the scheme to your sender's, and name it in a source:
 *
 *   sources:
 *     acme:
 *       provider: { module: ./providers-local/acme.mjs }   # relative to the config file
 *       secret: ${ACME_WEBHOOK_SECRET}
 *       options: { account: acct_123 }   # optional: only this account's events
 *
 * The contract is hookgate's providers/types.ts. A plugin imports node: modules
 * only (it runs inside the gateway on every request): no I/O, no state, no logs.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'

/** verify refuses by throwing an Error with one of these codes; hookgate answers with its own status and message. */
function refuse (code) {
  return Object.assign(new Error(code), { code })
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function hmacHex (secret, timestamp, body) {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')
}

/** @type {import('../../providers/types.js').Provider} */
export default {
  name: 'acme',
  // Kept with each event (and each rejected request) so it can be verified again later.
  storedHeaders: ['acme-signature', 'acme-delivery'],

  // Called at boot for every configured secret: a secret that cannot be right refuses the start, not every webhook.
  validateSecret (secret) {
    return secret.length < 24 ? 'an Acme signing secret has at least 24 characters' : null
  },

  // Optional: checks the source's `options` once at boot and returns them as verify gets them (options.options),
  // or every problem. Without it, a source of this provider that gives options is refused.
  parseOptions (options) {
    const problems = Object.keys(options).filter((key) => key !== 'account').map((key) => `unknown key '${key}' (known: account)`)
    if (options.account !== undefined && (typeof options.account !== 'string' || !/^acct_\w+$/.test(options.account))) problems.push("account: an Acme account id, 'acct_…'")
    return problems.length > 0 ? { problems } : { options: { account: options.account ?? null } }
  },

  verify (req, secrets, now, options) {
    const header = req.headers['acme-signature']
    const delivery = req.headers['acme-delivery']
    if (header === undefined || delivery === undefined || delivery === '') throw refuse('HG_ERR_SIGNATURE_MISSING')
    const parts = new Map(header.split(',').map((part) => {
      const at = part.indexOf('=')
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()]
    }))
    const t = parts.get('t')
    const v1 = parts.get('v1')
    if (t === undefined || v1 === undefined) throw refuse('HG_ERR_SIGNATURE_MISSING')
    if (!/^\d{1,12}$/.test(t)) throw refuse('HG_ERR_TIMESTAMP_INVALID')
    if (Math.abs(now - Number(t) * 1000) > options.toleranceMs) throw refuse('HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE')
    if (!/^[0-9a-f]{64}$/.test(v1)) throw refuse('HG_ERR_SIGNATURE_INVALID')
    const given = Buffer.from(v1, 'hex')
    // Every secret is tried (rotation), each in constant time, on the exact bytes received.
    const matches = secrets.some((secret) => timingSafeEqual(Buffer.from(hmacHex(secret, t, req.body), 'hex'), given))
    if (!matches) throw refuse('HG_ERR_SIGNATURE_INVALID')

    let body
    try { body = JSON.parse(utf8.decode(req.body)) } catch { throw refuse('HG_ERR_PAYLOAD_INVALID') }
    if (typeof body !== 'object' || body === null || typeof body.type !== 'string' || body.type === '') throw refuse('HG_ERR_PAYLOAD_INVALID')
    // One signing secret may serve several Acme accounts: a source set to one refuses the others' events.
    const account = options.options?.account ?? null
    if (account !== null && body.account !== account) throw refuse('HG_ERR_PAYLOAD_INVALID')
    return {
      dedupKey: delivery,
      type: body.type,
      subject: typeof body.data?.id === 'string' ? body.data.id : undefined,
      occurredAt: Number.isInteger(body.created) ? new Date(body.created * 1000).toISOString() : undefined,
      payload: body
    }
  }
}

/** Optional: what `hookgate send <source>` posts for this provider. Without it, send says it cannot sign one. */
export const sample = {
  defaultType: 'order.paid',
  body: (type, now) => JSON.stringify({ id: `evt_${randomUUID()}`, type, account: 'acct_demo', created: Math.floor(now / 1000), data: { id: `ord_${randomUUID()}`, amount: 4200, currency: 'eur' } }),
  sign: (body, secret, now) => {
    const t = String(Math.floor(now / 1000))
    return { 'acme-signature': `t=${t},v1=${hmacHex(secret, t, body)}`, 'acme-delivery': randomUUID(), 'content-type': 'application/json' }
  }
}
