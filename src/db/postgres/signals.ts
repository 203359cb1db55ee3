/**
 * The store's signals across replicas: NOTIFY on one channel, and one
 * connection of each gateway that LISTENs, opened with the first listener.
 * PostgreSQL delivers a notification to every listening session, the
 * sender's own included, once the NOTIFY commits. Best effort, as the
 * contract says: while the listening connection is down (a server restart)
 * signals are lost and the receivers' polls carry on; it reconnects by itself.
 */
import pg from 'pg'
import type { StoreSignal } from '../../store/contract.js'
import { coded, type Pool } from './pool.js'

const CHANNEL = 'hookgate'
const RECONNECT_MS = 1000

export class PgSignals {
  readonly #listeners = new Set<(signal: StoreSignal) => void>()
  #client: pg.Client | null = null
  #retry: NodeJS.Timeout | null = null
  #closed = false
  #ready!: () => void
  #listening = new Promise<void>((resolve) => { this.#ready = resolve })

  constructor (private readonly pool: Pool, private readonly url: string) {}

  async send (signal: StoreSignal): Promise<void> {
    try {
      await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ kind: signal.kind, destination: signal.destination })])
    } catch (err) {
      throw coded(err)
    }
  }

  subscribe (listener: (signal: StoreSignal) => void): () => void {
    this.#listeners.add(listener)
    if (this.#client === null && this.#retry === null) void this.#listen()
    return () => { this.#listeners.delete(listener) }
  }

  /** Resolves once this gateway's listening connection is up (signals sent before then are not heard). */
  listening (): Promise<void> { return this.#listening }

  async close (): Promise<void> {
    this.#closed = true
    if (this.#retry !== null) clearTimeout(this.#retry)
    const client = this.#client
    this.#client = null
    await client?.end().catch(() => {})
  }

  async #listen (): Promise<void> {
    if (this.#closed) return
    const client = new pg.Client({ connectionString: this.url, application_name: 'hookgate-signals', keepAlive: true })
    this.#client = client
    const lost = () => {
      if (this.#client !== client) return
      this.#client = null
      void client.end().catch(() => {})
      if (!this.#closed) this.#retry = setTimeout(() => { this.#retry = null; void this.#listen() }, RECONNECT_MS).unref()
    }
    client.on('error', lost).on('end', lost)
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || message.payload === undefined) return
      const signal = parse(message.payload)
      if (signal !== null) for (const listener of this.#listeners) listener(signal)
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${CHANNEL}`)
      this.#ready()
    } catch {
      lost()
    }
  }
}

function parse (payload: string): StoreSignal | null {
  try {
    const { kind, destination } = JSON.parse(payload) as { kind?: unknown, destination?: unknown }
    if ((kind === 'due' || kind === 'paused') && (destination === null || typeof destination === 'string')) return { kind, destination }
  } catch {}
  return null
}
