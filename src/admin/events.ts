import { Type, type Static } from 'typebox'
import type { FastifyInstance } from 'fastify'
import { HG_ERR_DESTINATION_UNKNOWN, HG_ERR_EVENT_NOT_FOUND, HG_ERR_NO_MATCHING_DESTINATION } from '../errors.js'
import { toMs, write, type AdminDeps } from './deps.js'
import { presentEvent, presentEventDetail } from './present.js'
import { closed, errors, EVENT_STATUSES, EventDetail, EventId, EventSummary, Limit, Name, Page, Range, StringEnum } from './schemas.js'

const EventQuery = Type.Object({
  source: Type.Optional(Name),
  type: Type.Optional(Name),
  status: Type.Optional(StringEnum(EVENT_STATUSES)),
  subject: Type.Optional(Name),
  ...Range,
  cursor: Type.Optional(EventId),
  limit: Limit
}, closed)
const IdParams = Type.Object({ id: EventId }, closed)
const ReplayBody = Type.Object({
  destination: Type.Optional(Type.String({ minLength: 1, description: 'Only this destination, whether or not its filters take the event' }))
}, closed)
const ReplayReply = Type.Object({
  eventId: Type.String(),
  deliveries: Type.Array(Type.Object({ id: Type.Integer(), destination: Type.String() }))
})

export function eventRoutes ({ config, clock, store, route, onQueued }: AdminDeps) {
  return async function events (app: FastifyInstance) {
    app.get<{ Querystring: Static<typeof EventQuery> }>('/events', {
      schema: {
        summary: 'Events received, newest first',
        tags: ['events'],
        querystring: EventQuery,
        response: { 200: Page(EventSummary), ...errors(400, 401) }
      }
    }, async (request) => {
      const { since, until, ...filter } = request.query
      const page = await store.listEvents({ ...filter, since: toMs(since), until: toMs(until) })
      return { items: page.items.map(presentEvent), nextCursor: page.nextCursor }
    })

    app.get<{ Params: Static<typeof IdParams> }>('/events/:id', {
      schema: {
        summary: 'One event: headers, raw body, deliveries and their attempts',
        tags: ['events'],
        params: IdParams,
        response: { 200: EventDetail, ...errors(400, 401, 404) }
      }
    }, async (request) => {
      const detail = await store.getEvent(request.params.id)
      if (detail === null) throw new HG_ERR_EVENT_NOT_FOUND(request.params.id)
      return presentEventDetail(detail)
    })

    app.post<{ Params: Static<typeof IdParams>, Body: Static<typeof ReplayBody> | undefined }>('/events/:id/replay', {
      // No body at all means "every destination that takes it".
      preValidation: async (request) => { request.body ??= {} },
      schema: {
        summary: 'Deliver an event again: new deliveries to every destination that takes it, or to the one named',
        tags: ['events'],
        params: IdParams,
        body: ReplayBody,
        response: { 202: ReplayReply, ...errors(400, 401, 404, 409) }
      }
    }, async (request, reply) => {
      const { id } = request.params
      const origin = await store.eventOrigin(id)
      if (origin === null) throw new HG_ERR_EVENT_NOT_FOUND(id)
      const named = request.body?.destination
      if (named !== undefined && !Object.hasOwn(config.destinations, named)) throw new HG_ERR_DESTINATION_UNKNOWN(named.slice(0, 64))
      const destinations = named === undefined ? route(origin.source, origin.type) : [named]
      if (destinations.length === 0) throw new HG_ERR_NO_MATCHING_DESTINATION(id)
      const deliveries = await write(store.replayEvent({ eventId: id, destinations, now: clock.now() }))
      if (deliveries === null) throw new HG_ERR_EVENT_NOT_FOUND(id)
      onQueued()
      return reply.code(202).send({ eventId: id, deliveries })
    })
  }
}
