import type { ClaimedDelivery } from '../../store/contract.js'

/**
 * How a claim spreads the free slots over destinations, in both adapters:
 * two passes, first a fair share of the global limit each, then what is left
 * over, so a destination with a backlog cannot take every slot in one claim.
 * The adapter asks next(), claims up to n rows of that destination, and says
 * how many it got; a destination that gave fewer than asked has nothing more
 * due (dry) and is not asked again.
 */
export class ClaimShares {
  readonly #free: Map<string, number>
  readonly dry = new Set<string>()
  #left: number
  #share: number
  #pass = 0
  #queue: string[]

  constructor (slots: Readonly<Record<string, number>>, limit: number, paused: ReadonlySet<string>) {
    // A paused destination's deliveries wait: not claimed, so never attempted, so never dead.
    this.#free = new Map(Object.entries(slots).filter(([name, n]) => n > 0 && !paused.has(name)))
    this.#left = limit
    this.#share = Math.ceil(limit / Math.max(1, this.#free.size))
    this.#queue = [...this.#free.keys()]
  }

  /** The next destination to claim for and how many at most, or null when the claim is done. */
  next (): { destination: string, n: number } | null {
    for (;;) {
      const destination = this.#queue.shift()
      if (destination === undefined) {
        if (this.#pass === 1) return null
        this.#pass = 1
        this.#share = Infinity
        this.#queue = [...this.#free.keys()]
        continue
      }
      const n = Math.min(this.#free.get(destination) ?? 0, this.#share, this.#left)
      if (n > 0 && !this.dry.has(destination)) return { destination, n }
    }
  }

  /** `got` of the `asked` rows were claimed for `destination`. */
  took (destination: string, asked: number, got: number): void {
    this.#left -= got
    this.#free.set(destination, (this.#free.get(destination) ?? 0) - got)
    if (got < asked) this.dry.add(destination)
  }
}

/** A claimed delivery as both adapters read it: the delivery's columns and its event's. */
export interface ClaimedRow { id: number, destination: string, attempts: number, event_id: string, source: string, provider: string, dedup_key: string, type: string, subject: string | null, occurred_at: string | null, received_at: number, body: Uint8Array }

export function toClaimed (row: ClaimedRow): ClaimedDelivery {
  return {
    id: row.id,
    destination: row.destination,
    attempt: row.attempts,
    event: {
      id: row.event_id,
      source: row.source,
      provider: row.provider,
      dedupKey: row.dedup_key,
      type: row.type,
      subject: row.subject,
      occurredAt: row.occurred_at,
      receivedAt: row.received_at,
      body: row.body
    }
  }
}
