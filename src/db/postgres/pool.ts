/**
 * The connection pool and the one way the adapter talks through it: a
 * statement with named parameters (@name, as the SQLite adapter writes them),
 * one transaction per Store method, and PostgreSQL's failures turned into the
 * store's vocabulary.
 */
import pg from 'pg'
import { HG_ERR_WRITE_DATABASE_UNAVAILABLE } from '../../errors.js'

export type Conn = pg.PoolClient
export type Pool = pg.Pool

/** bigint (times, ids, counts) and numeric (sums) as numbers, as better-sqlite3 gives them: every one stays far below 2^53. */
const types = {
  getTypeParser (oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number
    return pg.types.getTypeParser(oid, format)
  }
}

/** How long a session may sit in a transaction, or a statement run, before the server gives up on it. */
export const STUCK_AFTER_MS = 60_000

export function createPool (url: string, max: number): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: types as pg.CustomTypesConfig,
    // Acknowledged means committed: whatever the server's default, every commit waits for its WAL flush.
    options: '-c synchronous_commit=on',
    application_name: 'hookgate',
    // A server that does not answer fails the write in time for ingest's own deadline to answer 503.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    // A replica frozen mid-transaction (SIGSTOP, a partition: its socket stays open) would hold its row
    // locks, and an ordered destination's claim lock, until it woke: the server ends such a session.
    idle_in_transaction_session_timeout: STUCK_AFTER_MS,
    // And no statement waits on locks, or runs, for ever: it fails, and its caller's usual fault path takes over.
    statement_timeout: STUCK_AFTER_MS
  })
  // An idle connection the server dropped (a restart, pg_terminate_backend) is only discarded:
  // the pool opens a new one for the next write. Without a listener it would crash the process.
  pool.on('error', () => {})
  return pool
}

/** Failures that mean "the database cannot take this now" rather than a bug in the statement. */
export function isStorageFault (err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown, message?: unknown }
  if (code === 'HG_ERR_WRITE_DATABASE_UNAVAILABLE') return true
  if (typeof code === 'string' && /^(08|53|57P|58|XX|25006|E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN|NOTFOUND)$)/.test(code)) return true
  return typeof message === 'string' && /Connection terminated|not queryable|timeout exceeded when trying to connect|Client was closed|Cannot use a pool after calling end/.test(message)
}

/** A storage fault as the code the gateway answers 503 for; anything else as it is. */
export function coded (err: unknown): unknown {
  if (!isStorageFault(err)) return err
  const { code, message } = err as { code?: string, message?: string }
  return new HG_ERR_WRITE_DATABASE_UNAVAILABLE(`${code ?? 'connection'}: ${message ?? String(err)}`, { cause: err })
}

/** `@name` parameters as PostgreSQL's `$n`: the SQL reads like the SQLite adapter's, and values never reach its text. */
export function named (sql: string, params: Readonly<Record<string, unknown>>): { text: string, values: unknown[] } {
  const order = new Map<string, number>()
  const text = sql.replace(/@([A-Za-z_]\w*)/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`no value for @${name}`)
    let n = order.get(name)
    if (n === undefined) order.set(name, n = order.size + 1)
    return `$${n}`
  })
  return { text, values: [...order.keys()].map((name) => params[name] ?? null) }
}

/** One statement on a connection, with named parameters; its rows. */
export async function query<R extends pg.QueryResultRow = Record<string, unknown>> (conn: Conn | Pool, sql: string, params: Readonly<Record<string, unknown>> = {}): Promise<R[]> {
  const { text, values } = named(sql, params)
  return (await conn.query<R>(text, values)).rows
}

const statementNames = new Map<string, string>()

/**
 * As query(), as a prepared statement: each connection parses and plans it
 * once, then only binds and runs it. For the hot paths (the group commit,
 * the claim), whose long statements would otherwise be planned every time.
 */
export async function queryPrepared<R extends pg.QueryResultRow = Record<string, unknown>> (conn: Conn | Pool, sql: string, params: Readonly<Record<string, unknown>>): Promise<R[]> {
  const { text, values } = named(sql, params)
  let name = statementNames.get(text)
  if (name === undefined) statementNames.set(text, name = `hookgate_${statementNames.size + 1}`)
  return (await conn.query<R>({ name, text, values })).rows
}

/** As query(), the number of rows the statement changed. */
export async function execute (conn: Conn | Pool, sql: string, params: Readonly<Record<string, unknown>> = {}): Promise<number> {
  const { text, values } = named(sql, params)
  return (await conn.query(text, values)).rowCount ?? 0
}

export interface TxOptions {
  /** Bookkeeping nobody was promised (claims, settles, retention): committed without waiting for the WAL flush, as the SQLite adapter's relaxed ops. */
  readonly relaxed?: boolean
  /** Several reads on one snapshot. */
  readonly snapshot?: boolean
}

/**
 * Runs fn in one transaction on a pooled connection. A connection that failed
 * is destroyed, not returned to the pool, so the next call gets a fresh one.
 */
export async function transaction<T> (pool: Pool, fn: (conn: Conn) => Promise<T>, options: TxOptions = {}): Promise<T> {
  let conn: Conn
  try {
    conn = await pool.connect()
  } catch (err) {
    throw coded(err)
  }
  let broken: Error | undefined
  // A checked-out connection that dies between two statements reports it as an 'error' event, which
  // pg-pool listens for only while the connection is idle: unheard, it would end the process.
  const onError = (err: Error) => { broken = err }
  conn.on('error', onError)
  try {
    await conn.query(options.snapshot === true ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN')
    if (options.relaxed === true) await conn.query('SET LOCAL synchronous_commit = off')
    const value = await fn(conn)
    await conn.query('COMMIT')
    return value
  } catch (err) {
    if (isStorageFault(err)) broken = err as Error
    else await conn.query('ROLLBACK').catch((rollbackErr: Error) => { broken = rollbackErr })
    throw coded(err)
  } finally {
    conn.off('error', onError)
    conn.release(broken)
  }
}
