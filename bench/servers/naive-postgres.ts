// Baseline (pg-c): the obvious durable handler on PostgreSQL. Fastify + svix
// verify, then one INSERT per request on a pg pool with synchronous_commit
// on, so every acknowledgement waits for its own commit's WAL flush.
// Env: PORT, SECRET, DATABASE_URL.
import Fastify from 'fastify'
import pg from 'pg'
import { listenFromEnv, verifiedRoute } from './common.js'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, options: '-c synchronous_commit=on' })
await pool.query('CREATE TABLE IF NOT EXISTS events (id text PRIMARY KEY, body bytea NOT NULL)')

const app = Fastify({ logger: false })
verifiedRoute(app, process.env.SECRET ?? '', async (id, body) =>
  ((await pool.query('INSERT INTO events (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [id, body])).rowCount ?? 0) > 0)
app.addHook('onClose', async () => { await pool.end() })
await listenFromEnv(app)
