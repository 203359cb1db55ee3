import { Type, type Static } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AdminOperations } from './operations.js'
import { closed, Destination, errors, Name } from './schemas.js'

const NameParams = Type.Object({ name: Name }, closed)

export function destinationRoutes (ops: AdminOperations) {
  return async function destinations (app: FastifyInstance) {
    app.get('/destinations', {
      schema: {
        summary: 'Each destination: pending, dead, delivered in the last hour, oldest pending age, last error, paused',
        tags: ['destinations'],
        response: { 200: Type.Object({ items: Type.Array(Destination) }), ...errors(401) }
      }
    }, async () => ({ items: await ops.destinations() }))

    for (const action of ['pause', 'resume'] as const) {
      app.post<{ Params: Static<typeof NameParams> }>(`/destinations/:name/${action}`, {
        schema: {
          summary: action === 'pause'
            ? 'Stop delivering to a destination; its deliveries wait (they do not fail) until it is resumed, across restarts'
            : 'Deliver to a paused destination again, starting with what waited',
          tags: ['destinations'],
          params: NameParams,
          response: { 200: Destination, ...errors(400, 401, 404) }
        }
      }, async (request) => await ops.setPaused(request.params.name, action === 'pause'))
    }
  }
}
