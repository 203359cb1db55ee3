import type { Clock } from '../clock.js'
import type { DestinationConfig } from '../config/load.js'
import { createHttpSender, type Sender } from './sender.js'

/** Builds the sender for one configured destination. */
export type SenderFactory = (destination: DestinationConfig, clock: Clock) => Sender

/**
 * Destination kinds by name, each with its sender: `http` today. A queue
 * kind joins with one entry here and its URL scheme in KIND_BY_SCHEME; the
 * outbox never learns how a kind transports an event.
 */
export const SENDER_FACTORIES = { http: createHttpSender } as const satisfies Record<string, SenderFactory>

export type DestinationKind = keyof typeof SENDER_FACTORIES

/** A destination's kind follows from its URL's scheme (the config schema admits only these). */
const KIND_BY_SCHEME: Readonly<Record<string, DestinationKind>> = { 'http:': 'http', 'https:': 'http' }

export function destinationKind (destination: Pick<DestinationConfig, 'name' | 'url'>): DestinationKind {
  const kind = KIND_BY_SCHEME[new URL(destination.url).protocol]
  if (kind === undefined) throw new TypeError(`destination '${destination.name}': no sender for the scheme of its URL`)
  return kind
}

/** What the dispatcher is given to reach its destinations. */
export interface SenderRegistry {
  senderFor (destination: DestinationConfig): Sender
}

export function createSenderRegistry (clock: Clock, factories: Readonly<Record<DestinationKind, SenderFactory>> = SENDER_FACTORIES): SenderRegistry {
  return { senderFor: (destination) => factories[destinationKind(destination)](destination, clock) }
}
