// What the two baseline servers share, so that they differ only in storing.
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { Webhook } from 'svix'

/** Keep the exact bytes: the signature is over them, never over re-serialised JSON. */
export function rawJsonBody (app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body) })
}

export function svixHeaders (headers: IncomingHttpHeaders): Record<string, string> {
  return {
    'svix-id': String(headers['svix-id'] ?? ''),
    'svix-timestamp': String(headers['svix-timestamp'] ?? ''),
    'svix-signature': String(headers['svix-signature'] ?? '')
  }
}

/** Same readiness route as hookgate; listens on 127.0.0.1:$PORT; closes on SIGTERM. */
export async function listenFromEnv (app: FastifyInstance): Promise<void> {
  app.get('/health/ready', async () => ({ ok: true }))
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
  process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}

/**
 * POST /webhooks/:source: svix verification of the raw bytes, then `store`
 * (resolving to true when the id was new); 401 for a bad signature.
 */
export function verifiedRoute (app: FastifyInstance, secret: string, store: (id: string, body: Buffer) => boolean | Promise<boolean>): void {
  const webhook = new Webhook(secret)
  rawJsonBody(app)
  app.post('/webhooks/:source', async (request, reply) => {
    const body = request.body as Buffer
    const headers = svixHeaders(request.headers)
    try {
      webhook.verify(body, headers)
    } catch {
      return reply.code(401).send({ error: 'invalid signature' })
    }
    const id = headers['svix-id'] ?? ''
    const result = store(id, body)
    // No await for a synchronous store (better-sqlite3): the baseline pays no extra turn for it.
    const stored = typeof result === 'boolean' ? result : await result
    return { id, duplicate: !stored }
  })
}
