// The PostgreSQL round of `npm run bench` (issue 14): hookgate on PostgreSQL,
// hookgate on SQLite and the naive PostgreSQL handler (Fastify + svix + one
// pg INSERT per request, synchronous_commit on), on the same requests, in
// interleaved rounds, in the same run. The server is the throwaway cluster
// `npm run bench` starts (scripts/with-postgres.mjs), or the one
// HOOKGATE_TEST_POSTGRES_URL names; each server gets a database of its own.
import pg from 'pg'
import { startHookgate, type HookgateSecrets } from './hookgate.js'
import { compareServers, type Contender, type ServerFigures } from './measure.js'
import { measurePostgresReplicas, type PostgresReplicaFigures } from './postgres-replicas.js'
import type { Plan } from './plan.js'
import { clerkDrafts, cursorOver } from './requests.js'
import { startBaseline, type ServerProcess } from './server-process.js'

export interface PostgresFigures {
  servers: ServerFigures[]
  /** SHOW server_version. */
  version?: string
  /** ack → delivery on PostgreSQL, and one replica against two. */
  replicas?: PostgresReplicaFigures
  skipped?: string
}

export const POSTGRES_NAMES = { hookgate: '(pg-a) hookgate on PostgreSQL', sqlite: '(pg-b) hookgate on SQLite', naive: '(pg-c) naive-postgres' } as const

async function createDatabase (url: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const at = new URL(url)
  at.pathname = `/${name}`
  return at.href
}

async function serverVersion (url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?'
  } finally {
    await client.end()
  }
}

export async function measurePostgres (ctx: { tmp: string, secrets: HookgateSecrets, plan: Plan, log: (line: string) => void }): Promise<PostgresFigures> {
  const url = process.env.HOOKGATE_TEST_POSTGRES_URL
  if (url === undefined || url === '') return { servers: [], skipped: 'no PostgreSQL server (install postgresql: npm run bench starts a throwaway cluster from its binaries)' }
  const warmupDrafts = clerkDrafts('PW')(ctx.plan.warmupSeconds * ctx.plan.warmupRateCeiling)
  const loadDrafts = clerkDrafts('PL')
  const rateDrafts = clerkDrafts('PR')
  const contenderOf = (name: string, server: ServerProcess): Contender => ({ name, server, load: cursorOver(loadDrafts), rate: cursorOver(rateDrafts), estimate: 0 })
  const started: ServerProcess[] = []
  try {
    const onPostgres = await startHookgate({ name: 'hookgate-pg', parentDir: ctx.tmp, secrets: ctx.secrets, storage: { driver: 'postgres', url: await createDatabase(url, 'bench_hookgate') } })
    started.push(onPostgres)
    const onSqlite = await startHookgate({ name: 'hookgate-sqlite', parentDir: ctx.tmp, secrets: ctx.secrets })
    started.push(onSqlite)
    const naive = await startBaseline('naive-postgres', 'naive-postgres.js', { SECRET: ctx.secrets.clerk, DATABASE_URL: await createDatabase(url, 'bench_naive') })
    started.push(naive)
    const contenders = [contenderOf(POSTGRES_NAMES.hookgate, onPostgres), contenderOf(POSTGRES_NAMES.sqlite, onSqlite), contenderOf(POSTGRES_NAMES.naive, naive)]
    ctx.log(`postgres round: ${contenders.map((c) => c.name).join(', ')}`)
    const servers = await compareServers(contenders, warmupDrafts, ctx.secrets.clerk, ctx.plan, ctx.tmp, ctx.log)
    for (const s of servers) ctx.log(`  ${s.name}: ${s.throughput.merged.requestsPerSecond.toFixed(0)} req/s; at ${ctx.plan.fixedRatePerSecond}/s p50 ${s.fixedRate.merged.latency.p50Ms.toFixed(2)} ms, p99 ${s.fixedRate.merged.latency.p99Ms.toFixed(2)} ms`)
    for (const server of started.splice(0)) await server.stop()
    const estimateRps = servers.find((s) => s.name === POSTGRES_NAMES.hookgate)?.throughput.merged.requestsPerSecond ?? 1000
    const replicas = await measurePostgresReplicas({ ...ctx, databaseUrl: (name) => createDatabase(url, name), estimateRps })
    return { servers, version: await serverVersion(url), replicas }
  } finally {
    for (const server of started) await server.stop()
  }
}
