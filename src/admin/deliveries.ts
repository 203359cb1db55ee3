import { Type, type Static } from 'typebox'
import type { FastifyInstance } from 'fastify'
import { HG_ERR_DELIVERY_NOT_FOUND, HG_ERR_DELIVERY_NOT_RETRYABLE, HG_ERR_DESTINATION_UNKNOWN } from '../errors.js'
import { numericPage, toMs, write, type AdminDeps } from './deps.js'
import { presentDelivery } from './present.js'
import { closed, DELIVERY_STATUSES, Delivery, errors, EventId, Limit, Name, Page, Range, StringEnum } from './schemas.js'

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

/** Rows per bulk-retry write: one short transaction each, so ingest is never held up behind a big retry. */
const BULK_CHUNK = 500

export function deliveryRoutes ({ config, clock, store, onQueued }: AdminDeps) {
  const configured = (name: string): boolean => Object.hasOwn(config.destinations, name)

  return async function deliveries (app: FastifyInstance) {
    app.get<{ Querystring: Static<typeof DeliveryQuery> }>('/deliveries', {
      schema: {
        summary: 'Deliveries, newest first; ?status=dead lists what needs an operator',
        tags: ['deliveries'],
        querystring: DeliveryQuery,
        response: { 200: Page(Delivery), ...errors(400, 401) }
      }
    }, async (request) => {
      const page = await store.listDeliveries(numericPage(request.query))
      return { items: page.items.map(presentDelivery), nextCursor: page.nextCursor }
    })

    app.post<{ Params: Static<typeof IdParams> }>('/deliveries/:id/retry', {
      schema: {
        summary: 'Retry one delivery now: a dead one starts a fresh retry schedule, a waiting one is made due',
        tags: ['deliveries'],
        params: IdParams,
        response: { 200: Type.Object({ id: Type.Integer(), status: Type.String(), runAt: Type.String() }), ...errors(400, 401, 404, 409) }
      }
    }, async (request) => {
      const { id } = request.params
      const result = await write(store.retryDelivery({ id, now: clock.now() }))
      if (result.outcome === 'missing') throw new HG_ERR_DELIVERY_NOT_FOUND(id)
      if (result.outcome === 'delivered') throw new HG_ERR_DELIVERY_NOT_RETRYABLE(id, 'was delivered; replay the event to send it again')
      if (result.outcome === 'in_flight') throw new HG_ERR_DELIVERY_NOT_RETRYABLE(id, 'is being attempted right now')
      onQueued()
      const { delivery } = result
      if (!configured(delivery.destination)) request.log.warn({ destination: delivery.destination }, 'retried a delivery whose destination is no longer configured')
      return { id: delivery.id, status: delivery.status, runAt: new Date(delivery.run_at).toISOString() }
    })

    app.post<{ Body: Static<typeof BulkRetryBody> }>('/deliveries/retry', {
      schema: {
        summary: 'Retry every dead (or waiting pending) delivery matching a filter; dryRun counts them first',
        description: 'Only configured destinations are retried (a removed one would stay pending for ever). Each retried delivery starts a fresh schedule.',
        tags: ['deliveries'],
        body: BulkRetryBody,
        response: { 200: BulkRetryReply, ...errors(400, 401, 404) }
      }
    }, async (request) => {
      const { status, destination, eventId, since, until, dryRun } = request.body
      if (destination !== undefined && !configured(destination)) throw new HG_ERR_DESTINATION_UNKNOWN(destination.slice(0, 64))
      const targets = destination === undefined ? Object.keys(config.destinations) : [destination]
      const range = { since: toMs(since), until: toMs(until), ...(eventId === undefined ? {} : { eventId }) }
      let count = 0
      for (const name of targets) {
        if (dryRun) {
          const filter = status === 'dead' ? { status: 'dead' } : { waitingAt: clock.now() }
          count += await store.countDeliveries({ ...filter, destination: name, ...range })
          continue
        }
        let n: number
        do {
          const args = { filter: { destination: name, ...range }, now: clock.now(), limit: BULK_CHUNK }
          n = await write(status === 'dead' ? store.retryDeadDeliveries(args) : store.retryPendingDeliveries(args))
          count += n
        } while (n === BULK_CHUNK)
      }
      if (!dryRun && count > 0) onQueued()
      return { count, dryRun }
    })
  }
}
