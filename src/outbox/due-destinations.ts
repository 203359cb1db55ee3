/**
 * Destinations that may have deliveries due and unclaimed: only these are
 * claimed for. With new events leased at ingest, a claim after every answer
 * would mostly find nothing, and would hold the slots it asks for while it
 * waits on the writer, turning the next events away from the hand-off.
 */
export class DueDestinations {
  readonly #all: readonly string[]
  readonly #due: Set<string>
  /** Bumped whenever a destination may have gained a due delivery, so a claim that read before cannot clear it. */
  readonly #version = new Map<string, number>()

  constructor (destinations: readonly string[]) {
    this.#all = destinations
    this.#due = new Set(destinations)
  }

  has (destination: string): boolean { return this.#due.has(destination) }

  /** The destination may have gained a due delivery (a retry, a reclaimed lease, a place ingest gave back). */
  mark (destination: string): void {
    this.#due.add(destination)
    this.#version.set(destination, (this.#version.get(destination) ?? 0) + 1)
  }

  markAll (): void {
    for (const name of this.#all) this.mark(name)
  }

  /** Taken before a claim reads, for `clearUnlessMarked` after it. */
  versions (): ReadonlyMap<string, number> { return new Map(this.#version) }

  /** A claim found nothing more due for the destination: clear it, unless it was marked since `before`. */
  clearUnlessMarked (destination: string, before: ReadonlyMap<string, number>): void {
    if (this.#version.get(destination) === before.get(destination)) this.#due.delete(destination)
  }
}
