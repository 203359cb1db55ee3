import type { FastifyError } from '@fastify/error'
import { isHandshake, type Handshake, type RawRequest, type VerifiedEvent } from '../../providers/types.js'
import { scheduleOn, type Clock } from '../clock.js'
import type { Config, SourceConfig } from '../config/load.js'
import { HG_ERR_OVERLOADED, HG_ERR_SOURCE_UNKNOWN, HG_ERR_STORAGE_UNAVAILABLE } from '../errors.js'
import { RETRY_AFTER_S } from '../http-errors.js'
import { newEventId } from '../ids.js'
import type { Dispatcher } from '../outbox/dispatcher.js'
import type { Router } from '../outbox/routing.js'
import type { NewEvent, RecordArgs, RecordResult, Store } from '../store/contract.js'
import type { IngestBudget } from './budget.js'

export interface IngestDeps {
  readonly config: Config
  readonly clock: Clock
  readonly store: Pick<Store, 'recordEvent'>
  readonly route: Router
  /**
   * The dispatcher's side of ingest: places in its window reserved before the
   * write (those deliveries are inserted leased and start as soon as it
   * commits and a slot is free), and the write's outcome after it.
   */
  readonly outbox: Pick<Dispatcher, 'admit' | 'recorded'>
  /** Bytes verified webhooks may hold while they wait for their commit. */
  readonly budget: IngestBudget
}

/** A request to /webhooks/:source as the transport received it. */
export interface WebhookRequest {
  readonly source: string
  /** Only POST, and GET for a provider that takes it, are webhooks. */
  readonly method: string
  /** Lower-cased names. */
  readonly headers: RawRequest['headers']
  /** The exact bytes received: the signature covers them, not a parse of them. */
  readonly body: Buffer
  readonly query?: URLSearchParams | undefined
}

/** What the log line names a verified event by. */
export interface EventLabel {
  readonly type: string
  readonly dedupKey: string
}

export type IngestOutcome =
  /** Committed (durable): acknowledge it. */
  | { readonly kind: 'stored', readonly id: string, readonly event: EventLabel }
  /** Already stored under `id` (a provider retry, or a key retention has purged the event of). */
  | { readonly kind: 'duplicate', readonly id: string, readonly event: EventLabel }
  /** The provider's own answer to a verified handshake; nothing stored. */
  | { readonly kind: 'handshake', readonly reply: Handshake['reply'] }
  /** No webhook of this source (HEAD, a GET its provider does not take, a GET that is no handshake): a path that does not exist. */
  | { readonly kind: 'not-found' }
  /** Nothing stored; `cause` is what the store said, for the log only. */
  | { readonly kind: 'refused', readonly error: FastifyError, readonly event?: EventLabel, readonly cause?: unknown }

/**
 * Told the outcome as soon as it is known and before the dispatcher hears of
 * the new deliveries: the sender is waiting on its answer, the receivers are
 * not yet.
 */
export type Answer = (outcome: IngestOutcome) => void

/** Whether `method` can be a webhook to `source` at all: decided before the body is read. */
export function takesMethod (config: Config, source: string, method: string): boolean {
  if (method === 'POST') return true
  if (method !== 'GET') return false
  const configured = sourceNamed(config, source)
  return configured !== undefined && (config.providers[configured.provider]?.methods ?? []).includes('GET')
}

/**
 * One webhook: verified by its source's provider, routed, stored with its
 * deliveries in one write, and resolved once the sender may be answered
 * (acknowledged means committed). Expected refusals are outcomes; only bugs
 * throw.
 */
export async function ingestWebhook (deps: IngestDeps, request: WebhookRequest, answer?: Answer): Promise<IngestOutcome> {
  const checked = verify(deps, request)
  if (checked.kind !== 'verified') {
    answer?.(checked)
    return checked
  }
  return store(deps, checked, answer)
}

/** A verified event ready for its write, and the budget it took. */
interface Verified {
  readonly kind: 'verified'
  readonly event: NewEvent
  readonly destinations: readonly string[]
  readonly label: EventLabel
  readonly bodyBytes: number
}

function verify ({ config, clock, route, budget }: IngestDeps, request: WebhookRequest): IngestOutcome | Verified {
  if (!takesMethod(config, request.source, request.method)) return { kind: 'not-found' }
  const source = sourceNamed(config, request.source)
  // parseConfig registers every source's provider, so a missing one is a source that does not exist.
  const provider = source === undefined ? undefined : config.providers[source.provider]
  if (source === undefined || provider === undefined) return refused(new HG_ERR_SOURCE_UNKNOWN(request.source.slice(0, 64)))
  const method = request.method === 'GET' ? 'GET' : 'POST'
  const raw: RawRequest = { headers: request.headers, body: request.body, method, query: request.query }
  const receivedAt = clock.now()
  let verified: VerifiedEvent | Handshake
  try {
    verified = provider.verify(raw, source.secrets, receivedAt, { toleranceMs: source.toleranceMs, options: source.options })
  } catch (err) {
    if (isGatewayError(err)) return refused(err)
    throw err
  }
  if (isHandshake(verified)) return { kind: 'handshake', reply: verified.reply }
  // Only a handshake may come by GET: an event is stored from a POST's body, never from a query string.
  if (method === 'GET') return { kind: 'not-found' }
  const label = { type: verified.type, dedupKey: verified.dedupKey }
  // After verification: only signed webhooks hold bytes here, so a flood of forgeries cannot crowd out genuine ones.
  const bodyBytes = raw.body.byteLength
  if (!budget.take(bodyBytes)) return refused(new HG_ERR_OVERLOADED(RETRY_AFTER_S), label)
  const kept: Record<string, string> = {}
  for (const header of provider.storedHeaders) {
    const value = raw.headers[header]
    if (typeof value === 'string') kept[header] = value
  }
  const event: NewEvent = {
    id: newEventId(receivedAt),
    source: request.source,
    provider: provider.name,
    dedupKey: verified.dedupKey,
    type: verified.type,
    subject: verified.subject ?? null,
    occurredAt: verified.occurredAt ?? null,
    receivedAt,
    headers: JSON.stringify(kept),
    // What was signed: the received bytes, unless the provider matched a signature over other bytes.
    body: exactCopy(verified.signedBody ?? raw.body)
  }
  return { kind: 'verified', event, destinations: route(request.source, verified.type), label, bodyBytes }
}

async function store (deps: IngestDeps, { event, destinations, label, bodyBytes }: Verified, answer: Answer | undefined): Promise<IngestOutcome> {
  const deadlineMs = deps.config.server.ingestTimeoutMs
  // Waits only while a brisk receiver's window is full: backpressure the sender sees (Backpressure).
  const lease = await deps.outbox.admit(destinations, event.subject)
  const givenUp = new AbortController()
  const ordered = destinations.filter((name) => deps.config.destinations[name]?.ordering != null)
  const write = recordEvent(deps, { event, destinations, lease, ...(ordered.length > 0 ? { ordered } : {}) }, givenUp.signal)
  // Until the write settles, answered or not: a refused body still sits in the writer's queue or batch.
  const give = (): void => deps.budget.give(bodyBytes)
  write.then(give, give)
  const handOff = (result: RecordResult | null): void => deps.outbox.recorded(lease, result === null || result.duplicate ? null : { event, destinations, leased: result.leased })
  const stopWaiting = scheduleOn(deps.clock, () => { givenUp.abort() }, deadlineMs)
  const settled = await within(write, givenUp.signal).finally(stopWaiting)
  if (settled.state === 'stored') {
    const result = settled.value
    const outcome: IngestOutcome = { kind: result.duplicate ? 'duplicate' : 'stored', id: result.id, event: label }
    try {
      answer?.(outcome)
    } finally {
      handOff(result)
    }
    return outcome
  }
  const cause = settled.state === 'failed' ? settled.err : new Error(`not committed within server.ingestTimeoutMs (${deadlineMs} ms)`)
  // The store's own words go to the log (cause); the sender is told what to do.
  const outcome = refused(new HG_ERR_STORAGE_UNAVAILABLE(RETRY_AFTER_S), label, cause)
  try {
    answer?.(outcome)
  } finally {
    // Still being committed: it may yet be stored (the sender's retry is then a duplicate), and the dispatcher must learn of its leases.
    if (settled.state === 'failed') handOff(null)
    else write.then(handOff, () => handOff(null))
  }
  return outcome
}

/** The one write of ingest: the event and its deliveries, in one transaction. */
function recordEvent (deps: IngestDeps, args: RecordArgs, signal: AbortSignal): Promise<RecordResult> {
  return deps.store.recordEvent(args, { signal })
}

function refused (error: FastifyError, event?: EventLabel, cause?: unknown): IngestOutcome {
  return { kind: 'refused', error, ...(event === undefined ? {} : { event }), ...(cause === undefined ? {} : { cause }) }
}

function sourceNamed (config: Config, name: string): SourceConfig | undefined {
  return Object.hasOwn(config.sources, name) ? config.sources[name] : undefined
}

/** A provider's refusal (built-ins throw errors.ts codes, plugins' are wrapped into them); anything else is a bug. */
function isGatewayError (err: unknown): err is FastifyError {
  const code = (err as { code?: unknown } | null)?.code
  return err instanceof Error && typeof code === 'string' && code.startsWith('HG_ERR_')
}

type Settled<T> = { state: 'stored', value: T } | { state: 'failed', err: unknown } | { state: 'pending' }

/**
 * The write's outcome, or 'pending' once the caller gave up (the deadline, on
 * the gateway's clock): the sender is answered then, whatever the store does.
 * The same signal tells the store not to start the write any more.
 */
function within<T> (write: Promise<T>, givenUp: AbortSignal): Promise<Settled<T>> {
  const gaveUp = new Promise<Settled<T>>((resolve) => { givenUp.addEventListener('abort', () => resolve({ state: 'pending' }), { once: true }) })
  return Promise.race([
    write.then((value): Settled<T> => ({ state: 'stored', value }), (err: unknown): Settled<T> => ({ state: 'failed', err })),
    gaveUp
  ])
}

/**
 * A copy of exactly the body's bytes: the received Buffer may be a view into a
 * larger pooled buffer, and posting a view to the writer thread clones its
 * whole ArrayBuffer. set() is one memcpy; new Uint8Array(buffer) copies byte by byte.
 */
function exactCopy (bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  return copy
}
