import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RawRequest } from '../../providers/types.js'
import { notFound } from '../http-errors.js'
import { ingestWebhook, takesMethod, type IngestDeps, type IngestOutcome } from './ingest-webhook.js'

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

type WebhookRoute = FastifyRequest<{ Params: { source: string } }>

/**
 * POST /webhooks/:source (and GET for a provider that takes it): the HTTP
 * side of ingestWebhook. The body is taken as raw bytes whatever its content
 * type: the signature covers the exact bytes, and parsing first is the classic
 * way to break it.
 */
export function ingestRoutes (deps: IngestDeps): FastifyPluginAsync {
  const { config } = deps
  return async function ingest (app: FastifyInstance) {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.server.bodyLimitBytes }, (_req, body, done) => done(null, body))

    // Marked before the body is read, so a refusal that comes first (413) is still counted and kept as a rejection.
    // Callback form, not async: no promise per request.
    const markWebhook = (request: WebhookRoute, _reply: FastifyReply, done: () => void): void => {
      // HEAD (Fastify adds it with GET), or a GET to a provider that takes none: a path that does not exist, not a webhook.
      if (!takesMethod(config, request.params.source, request.method)) return done()
      request.webhook = { source: request.params.source }
      // The content type plays no part in verification, so a malformed one must
      // not turn away a genuinely signed webhook before its signature is checked.
      const type = request.headers['content-type']
      if (type !== undefined && !MEDIA_TYPE.test(type)) request.headers['content-type'] = 'application/octet-stream'
      done()
    }
    app.route<{ Params: { source: string } }>({ method: ['POST', 'GET'], url: '/webhooks/:source', onRequest: markWebhook, schema: { response: { 200: ACCEPTED } }, handler: async (request, reply) => {
      // Most webhooks carry no query string: only then is one parsed (providers read a missing one as empty).
      const queryAt = request.url.indexOf('?')
      await ingestWebhook(deps, {
        source: request.params.source,
        method: request.method,
        headers: request.headers as RawRequest['headers'],
        body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        query: queryAt === -1 ? undefined : new URLSearchParams(request.url.slice(queryAt + 1))
      }, (outcome) => answer(request, reply, outcome))
      return reply
    } })
  }
}

/** The outcome as an HTTP answer; a refusal goes through the app's error handler, which adds its code and Retry-After. */
function answer (request: WebhookRoute, reply: FastifyReply, outcome: IngestOutcome): void {
  const webhook = request.webhook
  switch (outcome.kind) {
    case 'stored':
    case 'duplicate':
      if (webhook !== undefined) Object.assign(webhook, outcome.event, { outcome: outcome.kind === 'stored' ? 'accepted' : 'duplicate' })
      reply.code(200).send({ id: outcome.id, duplicate: outcome.kind === 'duplicate' })
      return
    case 'handshake':
      if (webhook !== undefined) webhook.outcome = 'handshake'
      // The provider's bytes as they are: Fastify's serializer (the 200 schema) is for our answers, not the provider's.
      reply.code(outcome.reply.status).headers({ 'content-type': 'application/json', ...outcome.reply.headers }).send(Buffer.from(outcome.reply.body))
      return
    case 'not-found':
      notFound(request, reply)
      return
    case 'refused':
      if (webhook !== undefined && outcome.event !== undefined) Object.assign(webhook, outcome.event)
      if (outcome.cause !== undefined) request.log.error({ err: outcome.cause }, 'storing a verified webhook failed; answered 503 so the sender retries')
      reply.send(outcome.error)
  }
}
