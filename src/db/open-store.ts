/**
 * The one door from the gateway to storage: the adapter config.storage.driver
 * names, opened. app.ts (and check-config) import this file and nothing else
 * under src/db/, so a feature never learns which database it runs on.
 */
import type { Clock } from '../clock.js'
import type { Config } from '../config/load.js'
import type { Store, StoreEvents } from '../store/contract.js'
import { createPool } from './postgres/pool.js'
import { openPgStore, reachable } from './postgres/pg-store.js'
import { openSqliteStore } from './sqlite/sqlite-store.js'

export async function openStore (storage: Config['storage'], clock: Clock, events: StoreEvents = {}): Promise<Store> {
  return storage.driver === 'postgres' ? await openPgStore(storage, clock, events) : await openSqliteStore(storage, clock, events)
}

/** What check-config can say beyond the file: whether the PostgreSQL server answers (the SQLite file is made at start). */
export async function checkStorage (storage: Config['storage']): Promise<void> {
  if (storage.driver !== 'postgres') return
  const pool = createPool(storage.url ?? '', 1)
  try {
    await reachable(pool, storage)
  } finally {
    await pool.end()
  }
}
