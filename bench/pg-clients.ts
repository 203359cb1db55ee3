// `npx tsx bench/pg-clients.ts <postgres-url>`: the two PostgreSQL clients
// (pg, and porsager's postgres) on the path hookgate's PostgreSQL adapter
// depends on: webhooks recorded in group commits (many callers, one
// transaction per batch: dedup lookup, multi-row insert of events and of
// deliveries, commit with synchronous_commit on), and one insert per
// transaction (the naive handler), each on a fresh database of its own.
import pg from 'pg'
import postgres from 'postgres'

const url = process.argv[2] ?? process.env.HOOKGATE_TEST_POSTGRES_URL
if (url === undefined) throw new Error('usage: bench/pg-clients.ts <postgres-url>')
const EVENTS = 20_000
const CALLERS = 256
const BATCH_MAX = 512

const SCHEMA = `
  CREATE TABLE events (id text COLLATE "C" PRIMARY KEY, source text NOT NULL, dedup_key text NOT NULL, received_at bigint NOT NULL, body bytea NOT NULL, UNIQUE (source, dedup_key));
  CREATE TABLE deliveries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id text NOT NULL REFERENCES events (id), destination text NOT NULL, run_at bigint NOT NULL);
  CREATE TABLE dedup_keys (source text, dedup_key text, event_id text, PRIMARY KEY (source, dedup_key));`
const LOOKUP = 'SELECT dedup_key FROM dedup_keys WHERE source = $1 AND dedup_key = ANY($2::text[])'
const INSERT_EVENTS = `INSERT INTO events (id, source, dedup_key, received_at, body)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[]) ON CONFLICT (source, dedup_key) DO NOTHING RETURNING id`
const INSERT_DELIVERIES = `INSERT INTO deliveries (event_id, destination, run_at) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) RETURNING id`

interface Client {
  name: string
  exec (sql: string): Promise<void>
  batch (ids: string[], keys: string[], times: number[], bodies: Buffer[]): Promise<void>
  single (id: string, key: string, time: number, body: Buffer): Promise<void>
  end (): Promise<void>
}

function pgClient (dbUrl: string): Client {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 10 })
  return {
    name: 'pg',
    async exec (sql) { await pool.query(sql) },
    async batch (ids, keys, times, bodies) {
      const c = await pool.connect()
      try {
        await c.query('BEGIN')
        await c.query(LOOKUP, ['clerk', keys])
        const inserted = await c.query<{ id: string }>(INSERT_EVENTS, [ids, ids.map(() => 'clerk'), keys, times, bodies])
        const kept = inserted.rows.map((r) => r.id)
        await c.query(INSERT_DELIVERIES, [kept, kept.map(() => 'dest'), kept.map(() => 0)])
        await c.query('COMMIT')
      } finally { c.release() }
    },
    async single (id, key, time, body) {
      await pool.query('INSERT INTO events (id, source, dedup_key, received_at, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [id, 'clerk', key, time, body])
    },
    end: () => pool.end()
  }
}

function porsagerClient (dbUrl: string): Client {
  const sql = postgres(dbUrl, { max: 10, onnotice: () => {} })
  return {
    name: 'postgres',
    async exec (text) { await sql.unsafe(text).simple() },
    async batch (ids, keys, times, bodies) {
      await sql.begin(async (tx) => {
        await tx.unsafe(LOOKUP, ['clerk', keys])
        const inserted = await tx.unsafe<Array<{ id: string }>>(INSERT_EVENTS, [ids, ids.map(() => 'clerk'), keys, times, bodies] as never)
        const kept = inserted.map((r) => r.id)
        await tx.unsafe(INSERT_DELIVERIES, [kept, kept.map(() => 'dest'), kept.map(() => 0)] as never)
      })
    },
    async single (id, key, time, body) {
      await sql.unsafe('INSERT INTO events (id, source, dedup_key, received_at, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [id, 'clerk', key, time, body] as never)
    },
    end: () => sql.end()
  }
}

/** CALLERS callers each record one event after another; waiting ones go together in the next transaction. */
async function groupCommit (client: Client, body: Buffer): Promise<number> {
  const queue: Array<{ n: number, done: () => void }> = []
  let busy = false
  const flush = async (): Promise<void> => {
    if (busy || queue.length === 0) return
    busy = true
    const batch = queue.splice(0, BATCH_MAX)
    const ids = batch.map((b) => `evt_${String(b.n).padStart(9, '0')}`)
    await client.batch(ids, batch.map((b) => `msg_${b.n}`), batch.map((b) => b.n), batch.map(() => body))
    for (const b of batch) b.done()
    busy = false
    void flush()
  }
  let next = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (next < EVENTS) {
      const n = next++
      await new Promise<void>((resolve) => { queue.push({ n, done: resolve }); setImmediate(() => void flush()) })
    }
  }))
  return EVENTS / ((performance.now() - start) / 1000)
}

async function oneEach (client: Client, body: Buffer): Promise<number> {
  let next = 0
  const start = performance.now()
  const count = EVENTS / 4
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < count) { const n = next++; await client.single(`evt_s${n}`, `s_${n}`, n, body) }
  }))
  return count / ((performance.now() - start) / 1000)
}

const admin = new pg.Client({ connectionString: url })
await admin.connect()
const body = Buffer.alloc(1200, 'x')
const figures: string[] = []
for (const make of [pgClient, porsagerClient, pgClient, porsagerClient]) {
  const db = `bench_clients_${Date.now()}`
  await admin.query(`CREATE DATABASE ${db}`)
  const dbUrl = new URL(url)
  dbUrl.pathname = `/${db}`
  const client = make(dbUrl.href)
  await client.exec(SCHEMA)
  const grouped = await groupCommit(client, body)
  const single = await oneEach(client, body)
  await client.end()
  await admin.query(`DROP DATABASE ${db}`)
  figures.push(`${client.name.padEnd(9)} group commit ${Math.round(grouped)} events/s, one insert per transaction ${Math.round(single)} inserts/s`)
  process.stdout.write(figures.at(-1) + '\n')
}
await admin.end()
