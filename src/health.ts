import type { FastifyInstance } from 'fastify'
import type { Clock } from './clock.js'
import type { Writer } from './db/writer.js'
import { HG_ERR_STORAGE_UNAVAILABLE } from './errors.js'

/**
 * /health/live: the process answers. /health/ready: a write commits, so an
 * orchestrator stops sending traffic when the disk is full or read-only.
 */
export function healthRoutes (deps: { clock: Clock, writer: Writer }) {
  return async function health (app: FastifyInstance) {
    app.get('/health/live', async () => ({ status: 'ok' }))
    app.get('/health/ready', async (request) => {
      try {
        await deps.writer.run('probeWrite', { now: deps.clock.now() })
      } catch (err) {
        request.log.warn({ err }, 'readiness probe write failed')
        throw new HG_ERR_STORAGE_UNAVAILABLE((err as { code?: string }).code ?? 'write failed')
      }
      return { status: 'ready' }
    })
  }
}
