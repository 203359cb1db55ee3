/**
 * Test scaffolding: a gateway on a fresh database in t.testdir(), a clock the
 * test moves by hand, and every log line captured; all closed in teardown.
 */
import { Writable } from 'node:stream'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import type { Test } from 'tap'
import { buildApp } from '../src/app.js'
import { parseConfig, type Config } from '../src/config/load.js'
import type { PluginLoad } from '../providers/plugin.js'
import { migrate } from '../src/db/sqlite/migrate.js'
import { openDatabase, type Db } from '../src/db/sqlite/open.js'
import { SqliteStore } from '../src/db/sqlite/sqlite-store.js'
import type { Store } from '../src/store/contract.js'
import { freshDatabase } from './fixtures/postgres.js'

export const CLERK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
export const CHAINDOC_SECRET = 'webhook-secret'

/**
 * Time that moves only when the test says. Wake-ups scheduled on it (the
 * dispatcher's timer) fire as advance() passes their time, in order; one due
 * at once fires on the next turn of the event loop, as a system timer would.
 */
/**
 * svix's and standardwebhooks' Webhook.verify check a signature's timestamp
 * against the wall clock and take no `now`: a test that hands them a
 * signature signs at the wall clock's time, through this, and only then.
 */
export const verifierWallClock = (): number => Date.now()

export class TestClock {
  readonly #timers = new Set<{ at: number, fn: () => void }>()

  constructor (public ms: number = Date.UTC(2026, 10, 23, 12, 0, 0)) {}

  now (): number { return this.ms }

  advance (ms: number): void {
    const until = this.ms + ms
    for (let next = this.#earliest(until); next !== undefined; next = this.#earliest(until)) {
      this.#timers.delete(next)
      this.ms = next.at
      next.fn()
    }
    this.ms = until
  }

  schedule (fn: () => void, delayMs: number): () => void {
    if (delayMs <= 0) {
      const immediate = setImmediate(fn)
      return () => clearImmediate(immediate)
    }
    const timer = { at: this.ms + delayMs, fn }
    this.#timers.add(timer)
    return () => { this.#timers.delete(timer) }
  }

  /** How many wake-ups wait for the clock to reach them. */
  get pendingTimers (): number { return this.#timers.size }

  #earliest (until: number): { at: number, fn: () => void } | undefined {
    let earliest: { at: number, fn: () => void } | undefined
    for (const timer of this.#timers) if (timer.at <= until && (earliest === undefined || timer.at < earliest.at)) earliest = timer
    return earliest
  }
}

export interface BuildOptions {
  /** Merged over the default test config (sources clerk + chaindoc, no destinations). */
  readonly config?: Record<string, unknown>
  readonly clock?: TestClock
  /** Reuse a database path (restart tests). */
  readonly dbPath?: string
  /** Retry jitter's randomness: 0.5 means no jitter. */
  readonly random?: () => number
  /** Run the delivery loop; off by default, so tests drive it with dispatcher.runOnce(). */
  readonly startDispatcher?: boolean
  /** Provider plugins already loaded (loadPlugin), by the module path the config gives. */
  readonly plugins?: ReadonlyMap<string, PluginLoad>
  /** Wraps the app's store (watchStore): the test sees the calls the real store runs. */
  readonly wrapStore?: (store: Store) => Store
  /** The storage driver; by default HOOKGATE_TEST_STORAGE's (sqlite when unset), so one test file runs on either. */
  readonly driver?: 'sqlite' | 'postgres'
  /** postgres: reuse a database (restart tests, several gateways on one database); a fresh one by default. */
  readonly dbUrl?: string
}

/** The driver this test run stores with: `HOOKGATE_TEST_STORAGE=postgres npx tap …` runs a test file on PostgreSQL. */
export const testDriver = (): 'sqlite' | 'postgres' => process.env.HOOKGATE_TEST_STORAGE === 'postgres' ? 'postgres' : 'sqlite'

/**
 * Ends the test as skipped when this run stores in PostgreSQL: for the tests
 * of what is the SQLite adapter's own (its file, its writer thread, its lock).
 * Returns true when skipped, so the test returns at once.
 */
export function sqliteOnly (t: Test): boolean {
  if (testDriver() !== 'postgres') return false
  t.plan(0, 'SQLite adapter only')
  return true
}

export function testConfig (dir: string, overrides: Record<string, unknown> = {}, plugins?: ReadonlyMap<string, PluginLoad>): Config {
  return parseConfig({
    sources: {
      clerk: { provider: 'clerk', secret: CLERK_SECRET },
      chaindoc: { provider: 'chaindoc', secret: CHAINDOC_SECRET }
    },
    logging: { level: 'info' },
    ...overrides,
    // Merged too: the test secrets are public, and are accepted only while the gateway listens on loopback.
    server: { host: '127.0.0.1', port: 0, ...(overrides.server as Record<string, unknown> | undefined) },
    // Merged, not replaced: overriding one storage setting must not send the test to the default ./data/hookgate.db.
    storage: { path: join(dir, 'hookgate.db'), ...(overrides.storage as Record<string, unknown> | undefined) }
  }, {}, plugins === undefined ? {} : { plugins })
}

/** A restart test reuses a dbPath; on PostgreSQL the same path names the same database, so it restarts on its rows too. */
const databases = new Map<string, string>()
async function databaseFor (t: Test, dbPath: string | undefined): Promise<string> {
  if (dbPath === undefined) return await freshDatabase(t)
  let url = databases.get(dbPath)
  if (url === undefined) databases.set(dbPath, url = await freshDatabase(t))
  return url
}

export async function build (t: Test, options: BuildOptions = {}) {
  const dir = t.testdir()
  const clock = options.clock ?? new TestClock()
  const base = options.config ?? {}
  const driver = options.driver ?? testDriver()
  const storage = {
    ...(base.storage as object | undefined),
    ...(options.dbPath === undefined ? {} : { path: options.dbPath }),
    ...(driver === 'postgres' ? { driver, url: options.dbUrl ?? await databaseFor(t, options.dbPath) } : {})
  }
  const config = testConfig(dir, { ...base, storage }, options.plugins)
  const logs: string[] = []
  const logStream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const app = await buildApp(config, { clock, logStream, random: options.random ?? (() => 0.5), startDispatcher: options.startDispatcher ?? false, ...(options.wrapStore === undefined ? {} : { wrapStore: options.wrapStore }) })
  t.teardown(() => app.close())
  return { app, clock, config, logs, dir }
}

/** A migrated database file in t.testdir(), without a gateway around it; closed in teardown. */
export function migratedDb (t: Test): Db {
  const db = openDatabase(join(t.testdir(), 'hookgate.db'))
  t.teardown(() => db.close())
  migrate(db, undefined, 0)
  return db
}

/**
 * The SQLite adapter under a built app, for tests of storage itself: rows the
 * store has no read for, pragmas, and the writer thread's faults.
 */
export function sqlite (app: FastifyInstance): SqliteStore {
  const store = app.hookgate.store
  if (!(store instanceof SqliteStore)) throw new Error('this test needs the SQLite adapter')
  return store
}

/**
 * Rows as stored, read with SQL on the database the config names, whichever
 * the driver: for tests that check what the store wrote where the contract
 * has no read (the same SQL reads both schemas).
 */
export async function storedRows (config: Config, sql: string): Promise<Array<Record<string, unknown>>> {
  if (config.storage.driver === 'postgres') {
    const client = new pg.Client({ connectionString: config.storage.url })
    await client.connect()
    try {
      return (await client.query(sql)).rows
    } finally {
      await client.end()
    }
  }
  const db = openDatabase(config.storage.path, { readonly: true })
  try { return db.prepare(sql).all() as Array<Record<string, unknown>> } finally { db.close() }
}

/** The store, with the name of every method called pushed onto `calls` before the real store runs it. */
export function watchStore (store: Store, calls: string[]): Store {
  return new Proxy(store, {
    get (target, key) {
      const value: unknown = Reflect.get(target, key, target)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.push(String(key))
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    }
  })
}
