import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { isHandshake, type Handshake, type RawRequest } from '../../providers/types.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config/load.js'
import type { Writer } from '../db/writer.js'
import { HG_ERR_OVERLOADED, HG_ERR_SOURCE_UNKNOWN, HG_ERR_STORAGE_UNAVAILABLE } from '../errors.js'
import { notFound, RETRY_AFTER_S } from '../http-errors.js'
import { newEventId } from '../ids.js'
import type { Dispatcher } from '../outbox/dispatcher.js'
import type { Router } from '../outbox/routing.js'
import type { NewEvent } from '../store/contract.js'
import type { IngestBudget } from './budget.js'


export interface IngestDeps {
  readonly config: Config
  readonly clock: Clock
  readonly writer: Writer
  readonly route: Router
  /**
   * The dispatcher's side of ingest: places in its window reserved before the
   * write (those deliveries are inserted leased and start as soon as it
   * commits and a slot is free), and the write's outcome after it.
   */
  readonly outbox: Pick<Dispatcher, 'reserve' | 'recorded'>
  /** Bytes verified webhooks may hold while they wait for their commit. */
  readonly budget: IngestBudget
}

declare module 'fastify' {
  interface FastifyRequest {
    /** What the per-request log line reports about a webhook. */
    webhook?: { source: string, type?: string, dedupKey?: string, outcome?: string }
  }
}

/** type/subtype, then optional parameters: what Fastify's content-type parsing accepts. */
const MEDIA_TYPE = /^\s*[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(;\s*[\w!#$%&'*+.^`|~-]+=("[^"]*"|[\w!#$%&'*+.^`|~-]+)\s*)*;?\s*$/

/** The 2xx answer; a schema lets Fastify compile its serializer rather than JSON.stringify each one. */
const ACCEPTED = {
  type: 'object',
  properties: { id: { type: 'string' }, duplicate: { type: 'boolean' } },
  required: ['id', 'duplicate']
} as const

/**
 * POST /webhooks/:source. The body is taken as raw bytes whatever its content
 * type: the signature covers the exact bytes, and parsing first is the classic
 * way to break it. The answer waits for the commit (acknowledged = stored).
 */
export function ingestRoutes (deps: IngestDeps): FastifyPluginAsync {
  const { config, clock, writer } = deps
  return async function ingest (app: FastifyInstance) {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.server.bodyLimitBytes }, (_req, body, done) => done(null, body))

    // Marked before the body is read, so a refusal that comes first (413) is still counted and kept as a rejection.
    // Callback form, not async: no promise per request.
    const markWebhook = (request: FastifyRequest<{ Params: { source: string } }>, _reply: FastifyReply, done: () => void): void => {
      // A GET is a webhook only for a provider that takes one; to any other it is a path that does not exist, as before.
      if (request.method !== 'POST' && !(request.method === 'GET' && takesGet(request.params.source))) return done()
      request.webhook = { source: request.params.source }
      // The content type plays no part in verification, so a malformed one must
      // not turn away a genuinely signed webhook before its signature is checked.
      const type = request.headers['content-type']
      if (type !== undefined && !MEDIA_TYPE.test(type)) request.headers['content-type'] = 'application/octet-stream'
      done()
    }
    const takesGet = (name: string): boolean => {
      const source = Object.hasOwn(config.sources, name) ? config.sources[name] : undefined
      return source !== undefined && (config.providers[source.provider]?.methods ?? []).includes('GET')
    }
    app.route<{ Params: { source: string } }>({ method: ['POST', 'GET'], url: '/webhooks/:source', onRequest: markWebhook, schema: { response: { 200: ACCEPTED } }, handler: async (request, reply) => {
      const name = request.params.source
      // HEAD comes with GET (Fastify adds it): it is no webhook, nor is a GET to a provider that takes none.
      if (request.method !== 'POST' && !(request.method === 'GET' && takesGet(name))) return notFound(request, reply)
      const method = request.method === 'GET' ? 'GET' : 'POST'
      request.webhook = { source: name }
      const source = Object.hasOwn(config.sources, name) ? config.sources[name] : undefined
      if (source === undefined) throw new HG_ERR_SOURCE_UNKNOWN(name.slice(0, 64))
      const provider = config.providers[source.provider]
      if (provider === undefined) throw new HG_ERR_SOURCE_UNKNOWN(name.slice(0, 64)) // parseConfig registers every source's provider
      const raw: RawRequest = {
        headers: request.headers as RawRequest['headers'],
        body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        method,
        query: new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1 || request.url.length))
      }
      const receivedAt = clock.now()
      const verified = provider.verify(raw, source.secrets, receivedAt, { toleranceMs: source.toleranceMs, options: source.options })
      if (isHandshake(verified)) {
        request.webhook.outcome = 'handshake'
        return sendHandshake(reply, verified)
      }
      // Only a handshake may come by GET: an event is stored from a POST's body, never from a query string.
      if (method === 'GET') return notFound(request, reply)
      request.webhook = { source: name, type: verified.type, dedupKey: verified.dedupKey }
      // After verification: only signed webhooks hold bytes here, so a flood of forgeries cannot crowd out genuine ones.
      const bodyBytes = raw.body.byteLength
      if (!deps.budget.take(bodyBytes)) throw new HG_ERR_OVERLOADED(RETRY_AFTER_S)

      const kept: Record<string, string> = {}
      for (const header of provider.storedHeaders) {
        const value = raw.headers[header]
        if (typeof value === 'string') kept[header] = value
      }
      const event: NewEvent = {
        id: newEventId(receivedAt),
        source: name,
        provider: provider.name,
        dedupKey: verified.dedupKey,
        type: verified.type,
        subject: verified.subject ?? null,
        occurredAt: verified.occurredAt ?? null,
        receivedAt,
        headers: JSON.stringify(kept),
        // What was signed: the received bytes, unless the provider matched a signature over other bytes.
        body: exactCopy(verified.signedBody ?? raw.body)
      }
      const destinations = deps.route(name, verified.type)
      const lease = deps.outbox.reserve(destinations)
      const write = writer.run('recordEvent', { event, destinations, lease }, { deadlineMs: config.server.ingestTimeoutMs })
      // Until the write settles, answered or not: a refused body still sits in the writer's queue or batch.
      write.then(() => deps.budget.give(bodyBytes), () => deps.budget.give(bodyBytes))
      const settled = await within(write, config.server.ingestTimeoutMs)
      if (settled.state !== 'stored') {
        if (settled.state === 'failed') deps.outbox.recorded(lease, null)
        // Still being committed: it may yet be stored (the sender's retry is then a duplicate), and the dispatcher must learn of its leases.
        else write.then((result) => deps.outbox.recorded(lease, result.duplicate ? null : { event, destinations, leased: result.leased }), () => deps.outbox.recorded(lease, null))
        const err = settled.state === 'failed' ? settled.err : new Error(`not committed within server.ingestTimeoutMs (${config.server.ingestTimeoutMs} ms)`)
        // The store's own words (SQLite's code, the writer's state) go to the log; the sender is told what to do.
        request.log.error({ err }, 'storing a verified webhook failed; answered 503 so the sender retries')
        throw new HG_ERR_STORAGE_UNAVAILABLE(RETRY_AFTER_S)
      }
      const result = settled.value
      request.webhook.outcome = result.duplicate ? 'duplicate' : 'accepted'
      // The acknowledgement goes out first: the provider is waiting on it, the receivers are not yet.
      reply.code(200).send({ id: result.id, duplicate: result.duplicate })
      deps.outbox.recorded(lease, result.duplicate ? null : { event, destinations, leased: result.leased })
      return reply
    } })
  }
}

type Settled<T> = { state: 'stored', value: T } | { state: 'failed', err: unknown } | { state: 'pending' }

/** The write's outcome, or 'pending' once deadlineMs has passed: the sender is answered then, whatever the store does. */
function within<T> (write: Promise<T>, deadlineMs: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<Settled<T>>((resolve) => { timer = setTimeout(() => resolve({ state: 'pending' }), deadlineMs) })
  return Promise.race([
    write.then((value): Settled<T> => ({ state: 'stored', value }), (err: unknown): Settled<T> => ({ state: 'failed', err })),
    deadline
  ]).finally(() => clearTimeout(timer))
}

/**
 * A copy of exactly the body's bytes: the received Buffer may be a view into a
 * larger pooled buffer, and posting a view to the writer thread clones its
 * whole ArrayBuffer. set() is one memcpy; new Uint8Array(buffer) copies byte by byte.
 */
function exactCopy (bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  return copy
}

/** The provider's own answer, as bytes: Fastify's serializer (the 200 schema) is for our answers, not the provider's. */
function sendHandshake (reply: FastifyReply, { reply: answer }: Handshake): FastifyReply {
  return reply.code(answer.status).headers({ 'content-type': 'application/json', ...answer.headers }).send(Buffer.from(answer.body))
}
