import type { FastifyInstance } from 'fastify'
import { requireBearer } from '../admin/auth.js'
import type { AuthThrottle } from '../admin/auth-throttle.js'
import type { Metrics } from './metrics.js'

/**
 * GET /metrics in the Prometheus text format. Behind the admin token when
 * metrics.requireToken is set (config loading refuses that without a token).
 */
export function metricsRoute ({ metrics, token, authThrottle }: { metrics: Metrics, token: string | undefined, authThrottle: AuthThrottle }) {
  return async function metricsPlugin (app: FastifyInstance) {
    if (token !== undefined) app.addHook('onRequest', requireBearer(token, authThrottle))
    app.get('/metrics', async (_request, reply) => {
      const text = await metrics.scrape()
      return reply.type(metrics.registry.contentType).send(text)
    })
  }
}
