import type { StoreSignal } from '../../store/contract.js'

/**
 * The store's signals within one process: SQLite admits one gateway per
 * file, so every listener is here. Delivered on a microtask, never inside
 * send(), as a signal from another process would come.
 */
export class LocalSignals {
  readonly #listeners = new Set<(signal: StoreSignal) => void>()

  send (signal: StoreSignal): void {
    for (const listener of this.#listeners) {
      queueMicrotask(() => {
        // Unsubscribed since: a stopped dispatcher hears nothing more.
        if (this.#listeners.has(listener)) listener(signal)
      })
    }
  }

  subscribe (listener: (signal: StoreSignal) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }
}
