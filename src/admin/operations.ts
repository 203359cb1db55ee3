import { HOUR } from '../clock.js'
import type { DeliveryFilter, EventFilter, RejectionFilter } from '../store/contract.js'
import {
  HG_ERR_DELIVERY_NOT_FOUND, HG_ERR_DELIVERY_NOT_RETRYABLE, HG_ERR_DESTINATION_UNKNOWN, HG_ERR_EVENT_NOT_FOUND, HG_ERR_NO_MATCHING_DESTINATION
} from '../errors.js'
import { write, type AdminDeps } from './deps.js'
import { presentDelivery, presentDestination, presentEvent, presentEventDetail, presentOrdering, presentRejection } from './present.js'
import { subjectLineOperations } from './subject-lines.js'

/** Rows per bulk-retry write: one short transaction each, so ingest is never held up behind a big retry. */
const BULK_CHUNK = 500

export interface BulkRetry {
  readonly status: 'dead' | 'pending'
  readonly destination?: string | undefined
  readonly eventId?: string | undefined
  readonly since?: number | undefined
  readonly until?: number | undefined
  readonly dryRun: boolean
}

export type EventQuery = Omit<EventFilter, 'search'> & { readonly search?: string | undefined }
export type AdminOperations = ReturnType<typeof adminOperations>

/**
 * Every read and action of the admin API, as functions: the /admin routes
 * and the /ui console both call these, so the console is no second
 * implementation. Answers are the API's shapes (present.ts); failures are
 * HG_ERR_* errors both sides answer with.
 */
export function adminOperations (deps: AdminDeps) {
  const { config, clock, store, route, onQueued, onPauseChanged, breakerOpen } = deps
  const configured = (name: string): boolean => Object.hasOwn(config.destinations, name)
  const sources = Object.keys(config.sources)
  const lines = subjectLineOperations(deps)

  async function destinations (only?: string) {
    const now = clock.now()
    const [figures, held] = await Promise.all([store.destinationFigures({ names: Object.keys(config.destinations), deliveredSince: now - HOUR }), lines.heldCounts()])
    return figures
      .filter((f) => only === undefined || f.name === only)
      .map((f) => ({
        ...presentDestination(f, { configured: configured(f.name), now }),
        ...presentOrdering(config.destinations[f.name]?.ordering ?? null, held.get(f.name)),
        breakerOpen: breakerOpen?.(f.name) ?? false
      }))
  }

  return {
    ...lines,

    async listEvents ({ search, ...filter }: EventQuery) {
      const page = await store.listEvents({ ...filter, ...(search === undefined ? {} : { search: { text: search, sources } }) })
      return { items: page.items.map(presentEvent), nextCursor: page.nextCursor }
    },

    async getEvent (id: string) {
      const detail = await store.getEvent(id)
      if (detail === null) throw new HG_ERR_EVENT_NOT_FOUND(id)
      return presentEventDetail(detail)
    },

    /** New deliveries to every destination that takes the event, or to the one named whether or not its filters do. */
    async replayEvent (id: string, named?: string) {
      const origin = await store.eventOrigin(id)
      if (origin === null) throw new HG_ERR_EVENT_NOT_FOUND(id)
      if (named !== undefined && !configured(named)) throw new HG_ERR_DESTINATION_UNKNOWN(named.slice(0, 64))
      const targets = named === undefined ? route(origin.source, origin.type) : [named]
      if (targets.length === 0) throw new HG_ERR_NO_MATCHING_DESTINATION(id)
      const deliveries = await write(store.replayEvent({ eventId: id, destinations: targets, now: clock.now() }))
      if (deliveries === null) throw new HG_ERR_EVENT_NOT_FOUND(id)
      onQueued()
      return { eventId: id, deliveries }
    },

    async listDeliveries (filter: DeliveryFilter & { cursor?: number | undefined, limit: number }) {
      const page = await store.listDeliveries(filter)
      return { items: page.items.map(presentDelivery), nextCursor: page.nextCursor }
    },

    /** `unconfigured` is told when the delivery's destination is no longer in the config (it will wait). */
    async retryDelivery (id: number, unconfigured?: (destination: string) => void) {
      const result = await write(store.retryDelivery({ id, now: clock.now() }))
      if (result.outcome === 'missing') throw new HG_ERR_DELIVERY_NOT_FOUND(id)
      if (result.outcome === 'delivered') throw new HG_ERR_DELIVERY_NOT_RETRYABLE(id, 'was delivered; replay the event to send it again')
      if (result.outcome === 'in_flight') throw new HG_ERR_DELIVERY_NOT_RETRYABLE(id, 'is being attempted right now')
      onQueued()
      const { delivery } = result
      if (!configured(delivery.destination)) unconfigured?.(delivery.destination)
      return { id: delivery.id, status: delivery.status, runAt: new Date(delivery.run_at).toISOString() }
    },

    /** Only configured destinations are retried: a removed one's deliveries would stay pending for ever. */
    async retryDeliveries ({ status, destination, eventId, since, until, dryRun }: BulkRetry) {
      if (destination !== undefined && !configured(destination)) throw new HG_ERR_DESTINATION_UNKNOWN(destination.slice(0, 64))
      const targets = destination === undefined ? Object.keys(config.destinations) : [destination]
      const range = { since, until, ...(eventId === undefined ? {} : { eventId }) }
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
    },

    async destinations () { return await destinations() },

    async setPaused (name: string, paused: boolean) {
      if (!configured(name)) throw new HG_ERR_DESTINATION_UNKNOWN(name.slice(0, 64))
      await write(store.setPaused({ name, paused, now: clock.now() }))
      onPauseChanged?.(name)
      return (await destinations(name))[0]!
    },

    async listRejections (filter: RejectionFilter) {
      const page = await store.listRejections(filter)
      return { items: page.items.map(presentRejection), nextCursor: page.nextCursor }
    },

    /** Per configured source: accepted and rejected per clock hour (oldest first, the last one up to now), and in the last 60 minutes. */
    async traffic (hours: number) {
      const { buckets, lastHour } = await store.trafficBySource({ now: clock.now(), hours })
      return sources.map((source) => ({
        source,
        accepted: buckets.map((b) => b.accepted[source] ?? 0),
        rejected: buckets.map((b) => b.rejected[source] ?? 0),
        lastHour: { accepted: lastHour.accepted[source] ?? 0, rejected: lastHour.rejected[source] ?? 0 }
      }))
    },

    /** Moves whenever anything was stored: the console's live feed re-reads its page then. */
    async changeMark () { return await store.changeMark() }
  }
}
