import type { FastifyInstance } from 'fastify'
import type { Clock } from './clock.js'
import { HG_ERR_STORAGE_UNAVAILABLE } from './errors.js'
import { RETRY_AFTER_S } from './http-errors.js'
import type { Store } from './store/contract.js'

/** How long one readiness verdict is served: probes are unauthenticated, and each is an fsynced write. */
export const READY_PROBE_INTERVAL_MS = 1000

/**
 * /health/live: the process answers. /health/ready: a write commits, so an
 * orchestrator stops sending traffic when the disk is full or read-only.
 * The store is probed at most once per interval (by the injected clock);
 * requests in between, and those that arrive while a probe is in flight,
 * get that probe's verdict, so a flood of probes costs at most one write a second.
 */
export function healthRoutes (deps: { clock: Clock, store: Pick<Store, 'probeWrite'>, intervalMs?: number }) {
  const intervalMs = deps.intervalMs ?? READY_PROBE_INTERVAL_MS
  let last: { readonly at: number, readonly verdict: Promise<string | null> } | undefined
  let probing = false

  /** null when the write committed, else what went wrong (the store's code). */
  function verdict (log: FastifyInstance['log']): Promise<string | null> {
    const now = deps.clock.now()
    if (last !== undefined && (probing || now - last.at < intervalMs)) return last.verdict
    probing = true
    const result = deps.store.probeWrite({ now }).then(() => null, (err: unknown) => {
      log.warn({ err }, 'readiness probe write failed')
      return (err as { code?: string }).code ?? 'write failed'
    }).finally(() => { probing = false })
    last = { at: now, verdict: result }
    return result
  }

  return async function health (app: FastifyInstance) {
    app.get('/health/live', async () => ({ status: 'ok' }))
    app.get('/health/ready', async (request) => {
      const problem = await verdict(request.log)
      // The probe's failure (the store's code) is in the log; the answer only says not ready.
      if (problem !== null) throw new HG_ERR_STORAGE_UNAVAILABLE(RETRY_AFTER_S)
      return { status: 'ready' }
    })
  }
}
