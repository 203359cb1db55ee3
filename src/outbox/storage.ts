import type { Store } from '../store/contract.js'

/**
 * Every call the dispatcher makes to storage: the loop, the attempts, the
 * lease sweep, the beat and the signals reach the store only through these,
 * so what the outbox needs of an adapter is this list.
 */
export type DeliveryStorage = Pick<Store,
  'claimDeliveries' | 'unclaimDeliveries' | 'settleDeliveries' | 'hastenDeliveries' | 'reclaimLeases' | 'releaseLeases' |
  'exclusive' | 'beat' | 'reclaimStaleLeases' | 'retireOwner' | 'pauseStates' | 'signal' | 'onSignal'>
