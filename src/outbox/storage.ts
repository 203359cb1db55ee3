import type { OpArgs, OpResult } from '../db/write-ops.js'
import type { Writer } from '../db/writer.js'

type DeliveryOp = 'claimDeliveries' | 'unclaimDeliveries' | 'settleDeliveries' | 'hastenDeliveries' | 'reclaimLeases' | 'releaseLeases'

/**
 * Every write the dispatcher makes, in one place: the loop, the attempts and
 * the lease sweep reach the database only through this, so swapping the
 * storage behind it touches one function.
 */
export type DeliveryStorage = { readonly [K in DeliveryOp]: (args: OpArgs<K>) => Promise<OpResult<K>> }

/** The dispatcher's writes through the writer thread (each joins its group commit). */
export function writerStorage (writer: Writer): DeliveryStorage {
  return {
    claimDeliveries: (args) => writer.run('claimDeliveries', args),
    unclaimDeliveries: (args) => writer.run('unclaimDeliveries', args),
    settleDeliveries: (args) => writer.run('settleDeliveries', args),
    hastenDeliveries: (args) => writer.run('hastenDeliveries', args),
    reclaimLeases: (args) => writer.run('reclaimLeases', args),
    releaseLeases: (args) => writer.run('releaseLeases', args)
  }
}
