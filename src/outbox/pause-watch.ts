import type { AttemptLog } from './attempt.js'
import type { DeliveryStorage } from './storage.js'

/**
 * How often a running dispatcher reads the pause states again: the
 * backstop for a lost signal, so that a pause made on another gateway holds
 * here within this (the issue asks for 2 s). A read of a few rows.
 */
export const PAUSE_READ_INTERVAL_MS = 1_000

/**
 * The destinations an operator paused, as this dispatcher last read them.
 * The claim itself skips paused destinations in the store; this is for what
 * is already in memory: deliveries waiting for a slot, and places ingest
 * would reserve. A signal (another gateway paused or resumed) makes the
 * next claim read again at once.
 */
export class PauseWatch {
  readonly #storage: Pick<DeliveryStorage, 'pauseStates'>
  readonly #log: (level: keyof AttemptLog, obj: object, msg: string) => void
  #paused: ReadonlySet<string> = new Set()
  #readAt = -Infinity
  #failing = false

  constructor (storage: Pick<DeliveryStorage, 'pauseStates'>, log: (level: keyof AttemptLog, obj: object, msg: string) => void) {
    this.#storage = storage
    this.#log = log
  }

  has (destination: string): boolean { return this.#paused.has(destination) }

  due (now: number): boolean { return now - this.#readAt >= PAUSE_READ_INTERVAL_MS }

  get nextReadAt (): number { return this.#readAt + PAUSE_READ_INTERVAL_MS }

  /** The states changed somewhere: read them at the next claim. */
  changed (): void { this.#readAt = -Infinity }

  /**
   * Reads the states if due; resolves to the destinations resumed since the
   * last read. Never rejects: while the store cannot answer, the last states
   * hold (and the claims fail anyway).
   */
  async readIfDue (now: number): Promise<string[]> {
    if (!this.due(now)) return []
    this.#readAt = now
    try {
      const paused = new Set((await this.#storage.pauseStates()).filter((s) => s.paused).map((s) => s.name))
      const resumed = [...this.#paused].filter((name) => !paused.has(name))
      this.#paused = paused
      this.#failing = false
      return resumed
    } catch (err) {
      if (!this.#failing) this.#log('error', { err }, 'reading the pause states failed; the last ones read hold until a read succeeds')
      this.#failing = true
      return []
    }
  }
}
