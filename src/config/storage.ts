import type { ConfigInput } from './schema.js'

type StorageInput = ConfigInput['storage']

/**
 * What the storage keys say together that the schema cannot: postgres needs
 * a postgres:// URL, and a URL without the postgres driver would silently
 * leave the gateway on its SQLite file. The URL itself is never quoted back:
 * it may hold a password.
 */
export function storageProblems (storage: StorageInput, problems: string[]): void {
  if (storage.driver === 'sqlite') {
    if (storage.url !== undefined) problems.push("storage.url: read only with storage.driver 'postgres' (set it, or remove the url)")
    return
  }
  if (storage.url === undefined) {
    problems.push("storage.url: required with storage.driver 'postgres': a URL such as postgres://hookgate@db.internal:5432/hookgate, usually ${HOOKGATE_DATABASE_URL}")
    return
  }
  let url: URL
  try {
    url = new URL(storage.url)
  } catch {
    problems.push('storage.url: not a valid URL (expected postgres://user:password@host:5432/database)')
    return
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    problems.push(`storage.url: scheme '${url.protocol.slice(0, 20)}' is not PostgreSQL's: expected postgres:// or postgresql://`)
  }
}

/** Where the events are kept, for logs and `check-config`: the file, or the server and database without user or password. */
export function describeStorage (storage: Pick<StorageInput, 'driver' | 'path' | 'url'>): string {
  if (storage.driver !== 'postgres' || storage.url === undefined) return storage.path
  try {
    const url = new URL(storage.url)
    return `postgres://${url.host}${url.pathname}`
  } catch {
    return 'postgres (unparsable url)'
  }
}
