import { Type, type Static } from 'typebox'
import type { FastifyInstance } from 'fastify'
import { HOUR } from '../clock.js'
import { HG_ERR_DESTINATION_UNKNOWN } from '../errors.js'
import { write, type AdminDeps } from './deps.js'
import { presentDestination } from './present.js'
import { closed, Destination, errors, Name } from './schemas.js'

const NameParams = Type.Object({ name: Name }, closed)

export function destinationRoutes ({ config, clock, store, onQueued }: AdminDeps) {
  const names = Object.keys(config.destinations)

  async function figures (only?: string) {
    const now = clock.now()
    return (await store.destinationFigures({ names, deliveredSince: now - HOUR }))
      .filter((f) => only === undefined || f.name === only)
      .map((f) => presentDestination(f, { configured: Object.hasOwn(config.destinations, f.name), now }))
  }

  return async function destinations (app: FastifyInstance) {
    app.get('/destinations', {
      schema: {
        summary: 'Each destination: pending, dead, delivered in the last hour, oldest pending age, last error, paused',
        tags: ['destinations'],
        response: { 200: Type.Object({ items: Type.Array(Destination) }), ...errors(401) }
      }
    }, async () => ({ items: await figures() }))

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
      }, async (request) => {
        const { name } = request.params
        if (!Object.hasOwn(config.destinations, name)) throw new HG_ERR_DESTINATION_UNKNOWN(name.slice(0, 64))
        await write(store.setPaused({ name, paused: action === 'pause', now: clock.now() }))
        if (action === 'resume') onQueued()
        return (await figures(name))[0]
      })
    }
  }
}
