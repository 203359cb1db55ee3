import swagger from '@fastify/swagger'
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify'
import { requireBearer } from './auth.js'
import type { AuthThrottle } from './auth-throttle.js'
import { deliveryRoutes } from './deliveries.js'
import type { AdminDeps } from './deps.js'
import { destinationRoutes } from './destinations.js'
import { eventRoutes } from './events.js'
import { heldRoutes } from './held.js'
import { adminOperations } from './operations.js'
import { rejectionRoutes } from './rejections.js'
import { ErrorReply } from './schemas.js'

/**
 * The admin API, registered under /admin only when admin.token is set.
 * Every route here, /admin/openapi.json included, needs the bearer token:
 * the whole prefix is one rule, and the document lists what an operator can
 * change. Its own scope keeps the JSON body parser (the ingest plugin swaps
 * parsers in its scope only) and keeps swagger to these routes.
 */
export function adminRoutes (deps: AdminDeps & { token: string, authThrottle: AuthThrottle }) {
  return async function admin (app: FastifyInstance) {
    app.addHook('onRequest', requireBearer(deps.token, deps.authThrottle))
    app.setSchemaErrorFormatter(validationMessage)
    app.addSchema(ErrorReply)
    await app.register(swagger, {
      openapi: {
        info: { title: 'hookgate admin API', version: '1' },
        components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'admin.token from the configuration' } } },
        security: [{ adminToken: [] }]
      }
    })
    const ops = adminOperations(deps)
    await app.register(eventRoutes(ops))
    await app.register(deliveryRoutes(ops))
    await app.register(heldRoutes(ops))
    await app.register(destinationRoutes(ops))
    await app.register(rejectionRoutes(ops))
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  }
}

/**
 * "querystring/status must be equal to one of the allowed values": the part
 * and the field first. An unknown field is named too, since a mistyped
 * filter must not silently widen a bulk retry.
 */
function validationMessage (errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0]
  if (first === undefined) return new Error(`${dataVar} is invalid`)
  const at = `${dataVar}${first.instancePath}`
  if (first.keyword === 'additionalProperties') return new Error(`${at}/${String(first.params.additionalProperty)} is not a known field`)
  return new Error(`${at} ${first.message ?? 'is invalid'}`)
}
