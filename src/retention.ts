import type { FastifyBaseLogger } from 'fastify'
import { HOUR } from './clock.js'
import type { Clock } from './clock.js'
import type { Config } from './config/load.js'
import type { Metrics } from './metrics/metrics.js'
import type { Store } from './store/contract.js'

const DAY = 24 * HOUR
/** How often the job runs (and once at start). */
export const RETENTION_INTERVAL_MS = HOUR
/** Rows per write op: each is one short transaction, so ingest batches slip in between. */
export const RETENTION_CHUNK_ROWS = 1000
/** Free pages handed back per write op (4 KiB each: 8 MiB). */
const VACUUM_CHUNK_PAGES = 2000

export interface RetentionReport {
  readonly events: number
  readonly rejections: number
  /** Dedup keys of deleted events whose storage.dedupWindowDays has passed. */
  readonly dedupKeys: number
  readonly freedPages: number
}

export interface Retention {
  /** One pass now; passes never overlap (a call during a pass runs after it, with the time then). */
  runOnce (): Promise<RetentionReport>
  /** Starts the first pass at once, then one every RETENTION_INTERVAL_MS. */
  start (): void
  /** Resolves once every pass started so far has ended, failed ones too: a test awaits the one at start with it. */
  settled (): Promise<void>
  stop (): Promise<void>
}

/**
 * Deletes settled events older than storage.retentionDays (with their
 * deliveries and attempts; their dedup keys stay), the dedup keys whose
 * storage.dedupWindowDays has passed since receipt, and rejections older
 * than rejectionRetentionDays, then returns the freed pages to the file
 * system so the file stops growing.
 * An event with a pending delivery is never deleted, however old.
 */
export function createRetention ({ config, store, clock, metrics, log }: {
  config: Config, store: Store, clock: Clock, metrics: Metrics, log: FastifyBaseLogger
}): Retention {
  let chain: Promise<unknown> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  async function drain (step: () => Promise<number>, limit: number): Promise<number> {
    let total = 0
    for (let n = limit; n >= limit;) {
      n = await step()
      total += n
    }
    return total
  }

  async function pass (): Promise<RetentionReport> {
    const now = clock.now()
    const keysBefore = now - config.storage.dedupWindowDays * DAY
    const events = await drain(() => store.purgeEvents({ before: now - config.storage.retentionDays * DAY, limit: RETENTION_CHUNK_ROWS, keepKeysAfter: keysBefore }), RETENTION_CHUNK_ROWS)
    const dedupKeys = await drain(() => store.purgeDedupKeys({ before: keysBefore, limit: RETENTION_CHUNK_ROWS }), RETENTION_CHUNK_ROWS)
    const rejections = await drain(() => store.purgeRejections({ before: now - config.storage.rejectionRetentionDays * DAY, limit: RETENTION_CHUNK_ROWS }), RETENTION_CHUNK_ROWS)
    // Also after passes that deleted nothing: the rejection cap trims rows all day long.
    const freedPages = await drain(() => store.incrementalVacuum({ pages: VACUUM_CHUNK_PAGES }), VACUUM_CHUNK_PAGES)
    metrics.retentionDeleted.inc({ kind: 'events' }, events)
    metrics.retentionDeleted.inc({ kind: 'rejections' }, rejections)
    metrics.retentionDeleted.inc({ kind: 'dedup_keys' }, dedupKeys)
    if (events + rejections + dedupKeys + freedPages > 0) log.info({ events, rejections, dedupKeys, freedPages }, 'retention pass')
    return { events, rejections, dedupKeys, freedPages }
  }

  function runOnce (): Promise<RetentionReport> {
    const run = chain.then(pass)
    chain = run.catch(() => {})
    return run
  }

  function runLogged (): void {
    if (stopped || store.closed) return
    runOnce().catch((err: unknown) => log.warn({ err }, 'retention pass failed; the next one retries'))
  }

  return {
    runOnce,
    start () {
      if (timer !== undefined || stopped) return
      runLogged()
      timer = setInterval(runLogged, RETENTION_INTERVAL_MS).unref()
    },
    async settled () {
      await chain
    },
    async stop () {
      stopped = true
      clearInterval(timer)
      timer = undefined
      await chain
    }
  }
}
