// Baseline (c): the obvious durable handler. Fastify + svix verify, then one
// better-sqlite3 INSERT per request in WAL with synchronous=FULL, so every
// acknowledgement waits for its own fsync. Env: PORT, SECRET, DB_PATH.
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import { Webhook } from 'svix'
import { listenFromEnv, rawJsonBody, svixHeaders } from './common.js'

const webhook = new Webhook(process.env.SECRET ?? '')
const db = new Database(process.env.DB_PATH ?? ':memory:')
db.pragma('journal_mode = WAL')
db.pragma('synchronous = FULL')
db.exec('CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body BLOB NOT NULL)')
const insert = db.prepare('INSERT OR IGNORE INTO events (id, body) VALUES (?, ?)')

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
  const { changes } = insert.run(headers['svix-id'], body)
  return { id: headers['svix-id'], duplicate: changes === 0 }
})

app.addHook('onClose', async () => { db.close() })
await listenFromEnv(app)
