/**
 * The receiver's side of the ordering tests (ordering.test.ts): every arrival
 * and every 2xx it answers numbered in one sequence (one process, one event
 * loop, so the numbers are the true order), requests in flight per subject,
 * and what the numbers say against the order the events were acknowledged in.
 */
import { randomInt } from 'node:crypto'
import type { Behaviour } from './support.js'

/** Of first attempts, the share refused with 500. */
const REFUSED_SHARE = 0.2

export interface Arrival { readonly eventId: string, readonly subject: string, readonly seq: number }

/** A delivery leased when a gateway died: its event and subject. */
export interface Lease { readonly eventId: string, readonly subject: string }

export class OrderWatch {
  #seq = 0
  readonly arrivals: Arrival[] = []
  /** The sequence number of each event's first 2xx. */
  readonly firstOk = new Map<string, number>()
  /** Per subject, event ids in the order of their first 2xx. */
  readonly okOrder = new Map<string, string[]>()
  readonly #inFlight = new Map<string, number>()
  readonly #seen = new Set<string>()
  /** Arrivals while another request of the same subject was in flight. */
  overlaps = 0
  refused = 0

  /** Answers after 5–30 ms: 500 to about a fifth of first attempts at random, else 200. */
  readonly behave: Behaviour = (request, response) => {
    const { id: eventId, subject } = JSON.parse(request.body.toString()) as { id: string, subject: string }
    const first = !this.#seen.has(eventId)
    this.#seen.add(eventId)
    this.arrivals.push({ eventId, subject, seq: ++this.#seq })
    const inFlight = (this.#inFlight.get(subject) ?? 0) + 1
    this.#inFlight.set(subject, inFlight)
    if (inFlight > 1) this.overlaps++
    let open = true
    // Counted out as the answer is written (a request the gateway sends after reading it comes later), or when the gateway hangs up.
    const done = () => { if (open) { open = false; this.#inFlight.set(subject, this.#inFlight.get(subject)! - 1) } }
    response.on('close', done)
    const refuse = first && Math.random() < REFUSED_SHARE
    setTimeout(() => {
      if (response.destroyed) return
      done()
      if (refuse) this.refused++
      else if (!this.firstOk.has(eventId)) {
        this.firstOk.set(eventId, ++this.#seq)
        this.okOrder.set(subject, [...this.okOrder.get(subject) ?? [], eventId])
      }
      response.writeHead(refuse ? 500 : 200).end(refuse ? 'refused' : 'ok')
    }, 5 + randomInt(25))
  }

  /** No request in flight. */
  idle (): boolean { return [...this.#inFlight.values()].every((n) => n === 0) }
}

export interface OrderFindings {
  /** Acknowledged events never answered 2xx. */
  readonly lost: string[]
  /** Subjects whose first 2xx came in another order than their acknowledgements. */
  readonly orderBroken: string[]
  /** Arrivals of an event while an earlier one of its subject had not been answered 2xx yet. */
  readonly sentAhead: string[]
  /** Leases at the kill whose subject's first arrival after it was another event. */
  readonly headsNotFirst: string[]
}

/** `acked`: per subject, event ids in the order acknowledged; `heads` leased when a gateway died, at arrival number `killedAt`. */
export function orderFindings (watch: OrderWatch, acked: ReadonlyMap<string, readonly string[]>, heads: readonly Lease[], killedAt: number): OrderFindings {
  const lost = [...acked.values()].flat().filter((id) => !watch.firstOk.has(id))
  const orderBroken = [...acked].filter(([subject, ids]) => (watch.okOrder.get(subject) ?? []).join() !== ids.join()).map(([subject]) => subject)
  // For each event, the latest first-2xx among those before it in its subject: it must come before the event's every arrival.
  const mustFollow = new Map<string, number>()
  for (const ids of acked.values()) {
    let latest = 0
    for (const id of ids) {
      mustFollow.set(id, latest)
      latest = Math.max(latest, watch.firstOk.get(id) ?? Number.POSITIVE_INFINITY)
    }
  }
  const sentAhead = watch.arrivals.filter((a) => a.seq < (mustFollow.get(a.eventId) ?? 0)).map((a) => `${a.subject}: ${a.eventId} at ${a.seq}`)
  const after = watch.arrivals.slice(killedAt)
  const headsNotFirst = heads.filter((h) => after.find((a) => a.subject === h.subject)?.eventId !== h.eventId).map((h) => `${h.subject}: ${h.eventId}`)
  return { lost, orderBroken, sentAhead, headsNotFirst }
}
