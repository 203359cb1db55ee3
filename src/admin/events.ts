import { Type, type Static } from 'typebox'
import type { FastifyInstance } from 'fastify'
import { toMs } from './deps.js'
import type { AdminOperations } from './operations.js'
import { closed, errors, EVENT_STATUSES, EventDetail, EventId, EventSummary, Limit, Name, Page, Range, StringEnum } from './schemas.js'

const EventQuery = Type.Object({
  source: Type.Optional(Name),
  type: Type.Optional(Name),
  status: Type.Optional(StringEnum(EVENT_STATUSES)),
  subject: Type.Optional(Name),
  typeGlob: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "A GLOB pattern on the type: 'user.*'" })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'An event id or a dedup key, matched exactly' })),
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

export function eventRoutes (ops: AdminOperations) {
  return async function events (app: FastifyInstance) {
    app.get<{ Querystring: Static<typeof EventQuery> }>('/events', {
      schema: {
        summary: 'Events received, newest first',
        tags: ['events'],
        querystring: EventQuery,
        response: { 200: Page(EventSummary), ...errors(400, 401) }
      }
    }, async (request) => {
      const { since, until, q, ...filter } = request.query
      return await ops.listEvents({ ...filter, search: q, since: toMs(since), until: toMs(until) })
    })

    app.get<{ Params: Static<typeof IdParams> }>('/events/:id', {
      schema: {
        summary: 'One event: headers, raw body, deliveries and their attempts',
        tags: ['events'],
        params: IdParams,
        response: { 200: EventDetail, ...errors(400, 401, 404) }
      }
    }, async (request) => await ops.getEvent(request.params.id))

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
    }, async (request, reply) => reply.code(202).send(await ops.replayEvent(request.params.id, request.body?.destination)))
  }
}
