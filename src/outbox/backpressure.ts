import { scheduleOn, type Clock } from '../clock.js'

/** The longest ingest waits for a place in a destination's window before it stores the delivery unleased. */
export const BACKPRESSURE_MAX_WAIT_MS = 1000
/** A receiver is brisk while it answers within this, and did so this recently. */
export const BRISK_ANSWER_MS = 50
/** Weight of the newest exchange in the running duration. */
const SMOOTHING = 0.2

interface Pace { answeredAt: number, durationMs: number, answering: boolean }
interface Waiter { readonly grant: (placed: boolean) => void }

/**
 * Ingest's brake. When one core cannot both accept and forward, accepting
 * faster than a healthy receiver is fed only grows a backlog; so a new
 * event whose destination's window is full waits (bounded) for a place, and
 * the sender sees it as latency. Only for a brisk receiver: one that answers
 * (not fails), fast, and lately. A dead, failing, slow or silent receiver
 * never holds ingest back: its deliveries wait in the table, as before.
 */
export class Backpressure {
  readonly #clock: Clock
  readonly #paces = new Map<string, Pace>()
  readonly #waiting = new Map<string, Waiter[]>()

  constructor (clock: Clock) {
    this.#clock = clock
  }

  /** An exchange with the destination's receiver is over: `answering` when it answered (a 2xx or a final 4xx). */
  exchanged (destination: string, answering: boolean, durationMs: number): void {
    const pace = this.#paces.get(destination)
    const smoothed = pace === undefined ? durationMs : pace.durationMs + SMOOTHING * (durationMs - pace.durationMs)
    this.#paces.set(destination, { answeredAt: this.#clock.now(), durationMs: smoothed, answering })
  }

  /** Whether ingest should wait for a place in this destination's window. */
  brisk (destination: string): boolean {
    const pace = this.#paces.get(destination)
    return pace !== undefined && pace.answering && pace.durationMs <= BRISK_ANSWER_MS &&
      this.#clock.now() - pace.answeredAt <= BRISK_ANSWER_MS
  }

  /**
   * Resolves true once `grant` gave a place (already reserved for the
   * caller); false as soon as the receiver is no longer brisk (looked at
   * every BRISK_ANSWER_MS: a receiver that stalls must not hold waiting
   * ingest), or after the longest wait.
   */
  wait (destination: string): Promise<boolean> {
    return new Promise((resolve) => {
      const queue = this.#waiting.get(destination) ?? []
      this.#waiting.set(destination, queue)
      const giveUpAt = this.#clock.now() + BACKPRESSURE_MAX_WAIT_MS
      let cancel = (): void => {}
      const look = (): void => {
        if (this.brisk(destination) && this.#clock.now() < giveUpAt) {
          cancel = scheduleOn(this.#clock, look, BRISK_ANSWER_MS)
          return
        }
        queue.splice(queue.indexOf(waiter), 1)
        resolve(false)
      }
      const waiter: Waiter = { grant: (placed) => { cancel(); resolve(placed) } }
      queue.push(waiter)
      cancel = scheduleOn(this.#clock, look, BRISK_ANSWER_MS)
    })
  }

  /** Gives places to those waiting for `destination`, oldest first, while `reserve` finds room. */
  grant (destination: string, reserve: () => boolean): void {
    const queue = this.#waiting.get(destination)
    while (queue !== undefined && queue.length > 0 && reserve()) queue.shift()!.grant(true)
  }

  /** Every wait ends unplaced (the dispatcher stops). */
  releaseAll (): void {
    for (const queue of this.#waiting.values()) for (const waiter of queue.splice(0)) waiter.grant(false)
  }

  /** Ingest requests waiting, all destinations together. */
  get waiting (): number {
    let n = 0
    for (const queue of this.#waiting.values()) n += queue.length
    return n
  }

  /** Destinations someone waits for. */
  awaited (): string[] {
    return [...this.#waiting].filter(([, queue]) => queue.length > 0).map(([name]) => name)
  }
}
