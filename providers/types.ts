/**
 * The provider contract. A provider is a pure function of the request as
 * received (headers + exact bytes), the source's secrets and the time: it
 * imports node:crypto and these types, never Fastify, the database or a logger.
 * Adding a provider is one file plus its test, and one line in index.ts.
 */

/** Exact bytes and lower-cased headers as received. Never a parsed body. */
export interface RawRequest {
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: Buffer
  /** 'POST', or 'GET' for a provider whose `methods` lists it; absent means POST. */
  readonly method?: 'POST' | 'GET' | undefined
  /** The URL's query string, parsed (a GET handshake carries its parameters there). */
  readonly query?: URLSearchParams | undefined
}

/** What a provider returns once the signature holds. */
export interface VerifiedEvent {
  /** The provider's delivery id (svix-id, Chaindoc envelope id), or a body digest when it has none. */
  readonly dedupKey: string
  /** Provider event type, verbatim: 'user.created'. */
  readonly type: string
  /** ISO 8601 time the provider says the event occurred. */
  readonly occurredAt?: string | undefined
  /** The entity it is about: user id, document id. */
  readonly subject?: string | undefined
  /** The parsed body. */
  readonly payload: unknown
  /**
   * The bytes to store and forward, when the signature is over other bytes
   * than those received (Chaindoc's re-serialised legacy fallback): what was
   * signed, never what merely parses to it. Absent: the received bytes.
   */
  readonly signedBody?: Buffer | undefined
}

/**
 * A provider's own answer to a verified request that is a handshake, not an
 * event (Slack's url_verification, Discord's PING, Meta's GET hub.challenge):
 * the gateway sends it as it is, and stores and forwards nothing.
 */
export interface Handshake {
  readonly reply: {
    readonly status: number
    /** content-type among them; application/json when absent. */
    readonly headers?: Readonly<Record<string, string>> | undefined
    readonly body: string
  }
}

export function isHandshake (result: VerifiedEvent | Handshake): result is Handshake {
  return 'reply' in result
}

export interface VerifyOptions {
  /** Accepted distance between the signed timestamp and now, both ways. */
  readonly toleranceMs: number
  /**
   * The source's `options` as the provider's parseOptions returned them
   * (normalised, frozen); undefined for a provider that takes none.
   */
  readonly options?: unknown
}

/** What parseOptions gives back: the options to pass to verify, or every problem found. */
export type ParsedOptions = { readonly options: unknown } | { readonly problems: readonly string[] }

/**
 * `Result` is what verify can return: a provider without a handshake is a
 * Provider (events only), one with is a Provider<VerifiedEvent | Handshake>.
 * The gateway holds any of them as an AnyProvider.
 */
export interface Provider<Result extends VerifiedEvent | Handshake = VerifiedEvent> {
  readonly name: string
  /** Header names (lower case) kept with the event so it can be verified again later. */
  readonly storedHeaders: readonly string[]
  /** The HTTP methods its sender uses; ['POST'] when absent. A GET is only ever a handshake. */
  readonly methods?: readonly ('POST' | 'GET')[]
  /**
   * Says what is wrong with a configured secret, or returns null when it is
   * usable. Config loading calls it so a malformed secret (not base64, too
   * short…) refuses the boot instead of failing every delivery with a 401.
   * The text names the problem, never the secret.
   */
  validateSecret? (secret: string): string | null
  /**
   * Checks a source's `options` (an empty object when the config gives none)
   * once at config load and returns them normalised for verify, or the
   * problems (each names the key, never a secret). A provider without it
   * takes no options: a source of it that gives some is refused at boot.
   */
  parseOptions? (options: Readonly<Record<string, unknown>>): ParsedOptions
  /**
   * Verifies the signature on the exact bytes and extracts the event.
   * Throws an HG_ERR_* error: 401 for a missing or wrong signature or a stale
   * timestamp, 400 when the signature holds but the body is not the expected
   * shape. Constant-time comparison; no side effects; `now` in ms.
   * Returns a Handshake instead of an event when the request asks the
   * endpoint to prove itself; only once the request is verified.
   */
  verify (req: RawRequest, secrets: readonly string[], now: number, options: VerifyOptions): Result
}

/** Any provider, with or without a handshake: what the registry holds. */
export type AnyProvider = Provider<VerifiedEvent | Handshake>
