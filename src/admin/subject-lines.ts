import { subjectOrdering } from '../config/ordering.js'
import { HG_ERR_DELIVERY_NOT_FOUND, HG_ERR_DELIVERY_NOT_SKIPPABLE, HG_ERR_DESTINATION_UNKNOWN } from '../errors.js'
import type { HeldCount } from '../store/contract.js'
import { write, type AdminDeps } from './deps.js'
import { presentDeliveryFields, presentHeld } from './present.js'

export interface HeldQuery {
  readonly destination?: string | undefined
  readonly cursor?: number | undefined
  readonly limit: number
}

/**
 * The operator's side of ordered delivery per subject (a destination with
 * `ordering: subject`): which subjects are held up and by what, and the skip
 * that lets the next of a subject go. Part of adminOperations.
 */
export function subjectLineOperations ({ config, clock, store, onQueued }: AdminDeps) {
  const ordering = subjectOrdering(config.destinations)

  return {
    /** Held subjects, oldest head first, of one destination or every one that orders by subject. */
    async heldSubjects ({ destination, cursor, limit }: HeldQuery) {
      if (destination !== undefined && !Object.hasOwn(config.destinations, destination)) throw new HG_ERR_DESTINATION_UNKNOWN(destination.slice(0, 64))
      const page = await store.heldSubjects({ ordering, destination, cursor, limit })
      return { items: page.items.map(presentHeld), nextCursor: page.nextCursor }
    },

    /** Held subjects and the deliveries behind them, per destination that has any (the store reads nothing when none orders). */
    async heldCounts (): Promise<ReadonlyMap<string, HeldCount>> {
      return await store.heldCounts({ ordering })
    },

    /**
     * Takes a delivery out of its subject's line and wakes the dispatcher, so
     * the next of the subject goes at once: a dead head stays dead (retry it
     * later to send it out of order), a waiting one becomes dead.
     */
    async skipDelivery (id: number) {
      const result = await write(store.skipDelivery({ id, now: clock.now() }))
      if (result.outcome === 'missing') throw new HG_ERR_DELIVERY_NOT_FOUND(id)
      if (result.outcome === 'delivered') throw new HG_ERR_DELIVERY_NOT_SKIPPABLE(id, 'was delivered: nothing waits for it')
      if (result.outcome === 'in_flight') throw new HG_ERR_DELIVERY_NOT_SKIPPABLE(id, 'is being attempted right now')
      if (result.outcome === 'not_ordered') {
        throw new HG_ERR_DELIVERY_NOT_SKIPPABLE(id, "waits in no subject's line (its destination does not order by subject, or it was skipped already, or it is a replay); retry it instead")
      }
      onQueued()
      return presentDeliveryFields(result.delivery)
    }
  }
}
