// Baseline (c): the obvious durable handler. Fastify + svix verify, then one
// better-sqlite3 INSERT per request in WAL with synchronous=FULL, so every
// acknowledgement waits for its own fsync. Env: PORT, SECRET, DB_PATH.
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import { listenFromEnv, verifiedRoute } from './common.js'

const db = new Database(process.env.DB_PATH ?? ':memory:')
db.pragma('journal_mode = WAL')
db.pragma('synchronous = FULL')
db.exec('CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body BLOB NOT NULL)')
const insert = db.prepare('INSERT OR IGNORE INTO events (id, body) VALUES (?, ?)')

const app = Fastify({ logger: false })
verifiedRoute(app, process.env.SECRET ?? '', (id, body) => insert.run(id, body).changes > 0)
app.addHook('onClose', async () => { db.close() })
await listenFromEnv(app)
