import { Type, type Static } from 'typebox'
import type { FastifyInstance } from 'fastify'
import { numericPage, toMs } from './deps.js'
import type { AdminOperations } from './operations.js'
import { closed, DELIVERY_STATUSES, Delivery, DeliveryFields, errors, EventId, Limit, Name, Page, Range, StringEnum } from './schemas.js'

const DeliveryQuery = Type.Object({
  status: Type.Optional(StringEnum(DELIVERY_STATUSES)),
  destination: Type.Optional(Name),
  eventId: Type.Optional(EventId),
  ...Range,
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  limit: Limit
}, closed)
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, closed)
const BulkRetryBody = Type.Object({
  status: StringEnum(['dead', 'pending'] as const, {
    default: 'dead',
    description: 'dead: each gets a fresh retry schedule; pending: those waiting for a later retry are made due now, keeping their attempts'
  }),
  destination: Type.Optional(Name),
  eventId: Type.Optional(EventId),
  ...Range,
  dryRun: Type.Boolean({ default: false, description: 'Only count what would be retried' })
}, closed)
const BulkRetryReply = Type.Object({ count: Type.Integer(), dryRun: Type.Boolean() })

export function deliveryRoutes (ops: AdminOperations) {
  return async function deliveries (app: FastifyInstance) {
    app.get<{ Querystring: Static<typeof DeliveryQuery> }>('/deliveries', {
      schema: {
        summary: 'Deliveries, newest first; ?status=dead lists what needs an operator',
        tags: ['deliveries'],
        querystring: DeliveryQuery,
        response: { 200: Page(Delivery), ...errors(400, 401) }
      }
    }, async (request) => await ops.listDeliveries(numericPage(request.query)))

    app.post<{ Params: Static<typeof IdParams> }>('/deliveries/:id/retry', {
      schema: {
        summary: 'Retry one delivery now: a dead one starts a fresh retry schedule, a waiting one is made due',
        tags: ['deliveries'],
        params: IdParams,
        response: { 200: Type.Object({ id: Type.Integer(), status: Type.String(), runAt: Type.String() }), ...errors(400, 401, 404, 409) }
      }
    }, async (request) => await ops.retryDelivery(request.params.id, (destination) =>
      request.log.warn({ destination }, 'retried a delivery whose destination is no longer configured')))

    app.post<{ Params: Static<typeof IdParams> }>('/deliveries/:id/skip', {
      schema: {
        summary: "Take a delivery out of its subject's line so the next of the subject goes now: a dead head stays dead, a waiting one becomes dead",
        tags: ['deliveries'],
        params: IdParams,
        response: { 200: DeliveryFields, ...errors(400, 401, 404, 409) }
      }
    }, async (request) => await ops.skipDelivery(request.params.id))

    app.post<{ Body: Static<typeof BulkRetryBody> }>('/deliveries/retry', {
      schema: {
        summary: 'Retry every dead (or waiting pending) delivery matching a filter; dryRun counts them first',
        description: 'Only configured destinations are retried (a removed one would stay pending for ever). Each retried delivery starts a fresh schedule.',
        tags: ['deliveries'],
        body: BulkRetryBody,
        response: { 200: BulkRetryReply, ...errors(400, 401, 404) }
      }
    }, async (request) => {
      const { since, until, ...body } = request.body
      return await ops.retryDeliveries({ ...body, since: toMs(since), until: toMs(until) })
    })
  }
}
