import type { Clock } from '../clock.js'
import type { DestinationConfig } from '../config/load.js'
import { formatEvent } from './format.js'
import { createPool, deliverHttp } from './http.js'
import { createSigner } from './sign.js'
import type { Outcome, OutgoingEvent } from './types.js'

/** How the outbox reaches one destination. */
export interface Sender {
  /** One attempt; expected failures come back as an Outcome. */
  send (event: OutgoingEvent, signal?: AbortSignal): Promise<Outcome>
  /** Closes the destination's connections once nothing is in flight. */
  close (): Promise<void>
}

const USER_AGENT = 'hookgate'

/**
 * An HTTP destination: its pool, signer and headers are built once here.
 * Header order says who wins: static headers from the config first, then the
 * format's content headers, then the signature, so configuration cannot
 * break what the receiver needs to parse and verify.
 */
export function createHttpSender (destination: DestinationConfig, clock: Clock): Sender {
  const url = new URL(destination.url)
  const pool = createPool(destination.url, destination.concurrency, destination.timeoutMs)
  const sign = destination.signingSecret === null ? null : createSigner(destination.signingSecret)
  const fixed: Record<string, string> = { 'user-agent': USER_AGENT }
  for (const [name, value] of Object.entries(destination.headers)) fixed[name.toLowerCase()] = value
  // Credentials in the URL (https://user:pass@host) become Basic auth; a pool only takes an origin.
  if (url.username !== '' || url.password !== '') {
    const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
    fixed.authorization ??= 'Basic ' + Buffer.from(pair).toString('base64')
  }
  const path = url.pathname + url.search

  return {
    async send (event, signal) {
      const { body, headers } = formatEvent(event, destination.format)
      // A fresh timestamp per attempt: receivers refuse signatures older than their tolerance.
      const signature = sign === null ? {} : sign(event.id, Math.floor(clock.now() / 1000), body)
      return deliverHttp({
        pool,
        path,
        headers: { ...fixed, ...headers, ...signature },
        body,
        timeoutMs: destination.timeoutMs,
        ...(signal === undefined ? {} : { signal }),
        now: () => clock.now()
      })
    },
    close: () => pool.close()
  }
}
