import type { DestinationConfig } from '../config/load.js'
import { subjectOrdering } from '../config/ordering.js'
import type { ClaimedDelivery, OnDead } from '../store/contract.js'

/**
 * The dispatcher's side of ordered delivery per subject (the store's claim
 * keeps the lines: src/db/shared/subject-line.ts). It decides two things:
 * which new deliveries ingest may hand off, and when to claim again (a
 * settled delivery in a line may have let the next of its subject go).
 */
export class SubjectLines {
  /** Destinations that order by subject and what their dead heads do; undefined when none does. */
  readonly ordering: Readonly<Record<string, OnDead>> | undefined
  readonly #exclusive: boolean

  /**
   * `exclusive`: the store admits one gateway at a time, so its insert can
   * tell a new delivery at the head of its line and lease it (SQLite's
   * recordEvent). Where replicas share the store, another one could lease
   * the line between that read and the commit: only a claim, under the
   * line's lock, knows the head there.
   */
  constructor (destinations: Readonly<Record<string, DestinationConfig>>, exclusive: boolean) {
    const ordering = subjectOrdering(destinations)
    this.ordering = Object.keys(ordering).length === 0 ? undefined : ordering
    this.#exclusive = exclusive
  }

  /** Of an event's destinations, those its deliveries may be handed off to at ingest. */
  handOff (destinations: readonly string[], subject: string | null): readonly string[] {
    const ordering = this.ordering
    return subject === null || ordering === undefined || this.#exclusive ? destinations : destinations.filter((name) => !(name in ordering))
  }

  /** Whether settling this delivery may have put the next of its subject at the head. */
  movesOn (delivery: ClaimedDelivery): boolean {
    return delivery.event.subject !== null && this.ordering?.[delivery.destination] !== undefined
  }
}
