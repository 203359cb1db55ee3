/**
 * Meta: WhatsApp Business, Messenger and Instagram webhooks
 * (https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
 * An event is a POST with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
 * the body, keyed with the app secret>`; Meta sends no delivery id and no
 * timestamp, so the dedup key is the body's digest. Before any event, Meta
 * checks the endpoint with `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`,
 * answered with the challenge when the token is the source's `verifyToken`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING } from '../src/errors.js'
import { isObject, parseObject } from './json.js'
import type { Handshake, ParsedOptions, Provider, RawRequest, VerifiedEvent } from './types.js'

/** A Meta source's `options`: the token its GET subscription check must carry, chosen by you in the app dashboard. */
export interface MetaOptions { readonly verifyToken: string }

const SIGNATURE = /^sha256=([0-9a-f]{64})$/
// Meta's challenge is a number; anything else is not echoed (the answer reflects it verbatim).
const CHALLENGE = /^[A-Za-z0-9_.-]{1,256}$/

export const meta: Provider<VerifiedEvent | Handshake> = Object.freeze<Provider<VerifiedEvent | Handshake>>({
  name: 'meta',
  storedHeaders: ['x-hub-signature-256'],
  methods: Object.freeze(['POST', 'GET'] as const),
  parseOptions: parseMetaOptions,

  validateSecret (secret) {
    return secret.trim() === secret ? null : 'the app secret has leading or trailing whitespace'
  },

  verify (req, secrets, _now, options): VerifiedEvent | Handshake {
    if (req.method === 'GET') return subscription(req, (options.options as MetaOptions | undefined)?.verifyToken)
    const header = req.headers['x-hub-signature-256']
    if (!header) throw new HG_ERR_SIGNATURE_MISSING('x-hub-signature-256')
    const hex = SIGNATURE.exec(header)?.[1]
    const given = hex === undefined ? undefined : Buffer.from(hex, 'hex')
    if (given === undefined || !secrets.some((s) => s !== '' && timingSafeEqual(createHmac('sha256', s).update(req.body).digest(), given))) {
      throw new HG_ERR_SIGNATURE_INVALID()
    }
    const body = parseObject(req.body, 'Meta')
    if (typeof body.object !== 'string' || body.object === '' || !Array.isArray(body.entry)) throw new HG_ERR_PAYLOAD_INVALID('Meta', 'no "object" and "entry"')
    const entry: unknown = body.entry[0]
    const change: unknown = isObject(entry) && Array.isArray(entry.changes) ? entry.changes[0] : undefined
    const field = isObject(change) && typeof change.field === 'string' && change.field !== '' ? change.field
      : isObject(entry) && Array.isArray(entry.messaging) ? 'messaging' : undefined
    return {
      dedupKey: 'sha256:' + createHash('sha256').update(req.body).digest('hex'),
      type: field === undefined ? body.object : `${body.object}.${field}`,
      subject: isObject(entry) && typeof entry.id === 'string' ? entry.id : undefined,
      occurredAt: isObject(entry) && typeof entry.time === 'number' && Number.isSafeInteger(entry.time) ? new Date(entry.time * (entry.time > 1e11 ? 1 : 1000)).toISOString() : undefined,
      payload: body
    }
  }
})

function parseMetaOptions (options: Readonly<Record<string, unknown>>): ParsedOptions {
  const problems = Object.keys(options).filter((key) => key !== 'verifyToken').map((key) => `unknown key '${key}' (known: verifyToken)`)
  const { verifyToken } = options
  if (typeof verifyToken !== 'string' || verifyToken === '') problems.push("verifyToken: required, the verify token you give Meta's dashboard (its GET subscription check is refused without it)")
  return problems.length > 0 ? { problems } : { options: Object.freeze<MetaOptions>({ verifyToken: verifyToken as string }) }
}

/** The subscription check: the challenge back, only for the configured verify token (compared in constant time). */
function subscription (req: RawRequest, verifyToken: string | undefined): Handshake {
  const mode = req.query?.getAll('hub.mode') ?? []
  const tokens = req.query?.getAll('hub.verify_token') ?? []
  const challenges = req.query?.getAll('hub.challenge') ?? []
  if (mode.length !== 1 || tokens.length !== 1 || challenges.length !== 1 || mode[0] !== 'subscribe') throw new HG_ERR_SIGNATURE_MISSING('hub.mode=subscribe, hub.verify_token, hub.challenge')
  if (!CHALLENGE.test(challenges[0]!)) throw new HG_ERR_PAYLOAD_INVALID('Meta', 'hub.challenge is not a plain token')
  const given = createHash('sha256').update(tokens[0]!).digest()
  if (verifyToken === undefined || !timingSafeEqual(given, createHash('sha256').update(verifyToken).digest())) throw new HG_ERR_SIGNATURE_INVALID()
  return { reply: { status: 200, headers: { 'content-type': 'text/plain' }, body: challenges[0]! } }
}
