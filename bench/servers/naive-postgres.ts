// Baseline (pg): the obvious durable handler on PostgreSQL. Fastify + svix
// verify, then one INSERT per request on a pg pool with synchronous_commit
// on, so every acknowledgement waits for its own commit's WAL flush.
// Env: PORT, SECRET, DATABASE_URL.
import Fastify from 'fastify'
import pg from 'pg'
import { Webhook } from 'svix'
import { listenFromEnv, rawJsonBody, svixHeaders } from './common.js'

const webhook = new Webhook(process.env.SECRET ?? '')
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, options: '-c synchronous_commit=on' })
await pool.query('CREATE TABLE IF NOT EXISTS events (id text PRIMARY KEY, body bytea NOT NULL)')

const app = Fastify({ logger: false })
rawJsonBody(app)

app.post('/webhooks/:source', async (request, reply) => {
  const body = request.body as Buffer
  const headers = svixHeaders(request.headers)
  try {
    webhook.verify(body, headers)
  } catch {
    return reply.code(401).send({ error: 'invalid signature' })
  }
  const { rowCount } = await pool.query('INSERT INTO events (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [headers['svix-id'], body])
  return { id: headers['svix-id'], duplicate: rowCount === 0 }
})

app.addHook('onClose', async () => { await pool.end() })
await listenFromEnv(app)
