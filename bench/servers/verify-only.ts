// Baseline (b): what the Clerk guides show. Fastify takes the raw body, svix's
// own Webhook.verify checks it, nothing is stored. Env: PORT, SECRET.
import Fastify from 'fastify'
import { Webhook } from 'svix'
import { listenFromEnv, rawJsonBody, svixHeaders } from './common.js'

const webhook = new Webhook(process.env.SECRET ?? '')
const app = Fastify({ logger: false })
rawJsonBody(app)

app.post('/webhooks/:source', async (request, reply) => {
  try {
    webhook.verify(request.body as Buffer, svixHeaders(request.headers))
  } catch {
    return reply.code(401).send({ error: 'invalid signature' })
  }
  return { id: request.headers['svix-id'], duplicate: false }
})

await listenFromEnv(app)
