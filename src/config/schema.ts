/**
 * The configuration file's shape: one TypeBox schema is both the TypeScript
 * type and the validator. Unknown keys are refused everywhere (a typo must not
 * silently fall back to a default). Defaults live here, units in the names.
 */
import { Type, type Static } from 'typebox'
import { providerNames, type ProviderName } from '../../providers/index.js'

const closed = { additionalProperties: false } as const
// TypeBox fills defaults inside a record's values only when the value schema itself has one.
const withDefaults = { additionalProperties: false, default: {} } as const
/** '500ms', '5s', '5m', '2h', '1d', or a number of milliseconds. */
export const Duration = Type.Union([Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*$' }), Type.Integer({ minimum: 0 })])

export const ServerSchema = Type.Object({
  host: Type.String({ default: '0.0.0.0', minLength: 1 }),
  port: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  bodyLimitBytes: Type.Integer({ default: 1024 * 1024, minimum: 1, maximum: 64 * 1024 * 1024 }),
  /** A request must arrive whole within this time: slow senders cannot hold sockets forever. */
  requestTimeoutMs: Type.Integer({ default: 30_000, minimum: 1000 }),
  /**
   * A verified webhook not committed within this time is answered 503 (the
   * sender retries): a locked or failing store must not hold senders for
   * minutes. Above SQLite's 5 s busy wait, so a brief lock is ridden out.
   */
  ingestTimeoutMs: Type.Integer({ default: 10_000, minimum: 100, maximum: 300_000 }),
  /**
   * Verified webhooks waiting for their commit hold at most this many bytes
   * (bodies plus 1 KiB each); past it ingest answers 503 with Retry-After at once.
   */
  ingestMaxBytesInFlight: Type.Integer({ default: 64 * 1024 * 1024, minimum: 1024 }),
  /** How long SIGTERM waits for in-flight requests and deliveries. */
  shutdownGraceMs: Type.Integer({ default: 10_000, minimum: 0 })
}, closed)

export const StorageSchema = Type.Object({
  /** sqlite: one gateway on the file at `path`. postgres: any number of gateways on the database at `url`. */
  driver: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { default: 'sqlite' }),
  path: Type.String({ default: './data/hookgate.db', minLength: 1 }),
  /** postgres only: a libpq URL (postgres://user:password@host:5432/db), usually `${HOOKGATE_DATABASE_URL}`. */
  url: Type.Optional(Type.String({ minLength: 1 })),
  /** postgres only: connections each gateway keeps open at most. */
  poolSize: Type.Integer({ default: 10, minimum: 2, maximum: 200 }),
  retentionDays: Type.Number({ default: 30, exclusiveMinimum: 0 }),
  /**
   * How long after its first receipt a dedup key still refuses a replay, its
   * event deleted or not: the only replay guard of schemes without a signed
   * timestamp (Chaindoc legacy). Counted from receipt, so it acts only when
   * longer than retentionDays.
   */
  dedupWindowDays: Type.Number({ default: 90, exclusiveMinimum: 0 }),
  rejectionRetentionDays: Type.Number({ default: 7, exclusiveMinimum: 0 }),
  /** Rejected requests kept at most (oldest dropped first). */
  rejectionMaxRows: Type.Integer({ default: 10_000, minimum: 0 }),
  /** And at most this many bytes of them (bodies, headers, messages), oldest dropped first: strangers can send them. */
  rejectionMaxBytes: Type.Integer({ default: 64 * 1024 * 1024, minimum: 1024 * 1024 })
}, closed)

export const SourceSchema = Type.Object({
  /** A built-in provider's name, or a plugin module (a path relative to the config file). */
  provider: Type.Union([
    Type.Unsafe<ProviderName>(Type.Union(providerNames.map((name) => Type.Literal(name)))),
    Type.Object({ module: Type.String({ minLength: 1 }) }, closed)
  ]),
  secret: Type.Optional(Type.String({ minLength: 1 })),
  /** Several secrets while rotating: any one may match. */
  secrets: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  toleranceSeconds: Type.Integer({ default: 300, minimum: 1, maximum: 86_400 }),
  /** Per-provider settings (twilio's publicUrl, meta's verifyToken, chaindoc's legacyScheme…); the provider's parseOptions checks them. */
  options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  // Moved under `options`; accepted here only so the loader can say where they went.
  legacyScheme: Type.Optional(Type.Unknown()),
  legacyReserialized: Type.Optional(Type.Unknown()),
  verifyToken: Type.Optional(Type.Unknown())
}, withDefaults)

/**
 * Either `schedule` or all of `maxAttempts`, `initialDelay` and `maxDelay`
 * (normalize() checks which): one object rather than a union, so a mistake is
 * reported against the key that is wrong, not as "matches no branch".
 */
export const RetrySchema = Type.Object({
  schedule: Type.Optional(Type.Array(Duration, { minItems: 1, maxItems: 100 })),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  initialDelay: Type.Optional(Duration),
  maxDelay: Type.Optional(Duration)
}, closed)

export const DestinationSchema = Type.Object({
  url: Type.String({ pattern: '^https?://' }),
  /** Sources whose events go here; all when absent. */
  sources: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  /** Globs on the provider event type ('user.*'); all when absent. */
  events: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  format: Type.Union([Type.Literal('cloudevents'), Type.Literal('raw')], { default: 'cloudevents' }),
  signingSecret: Type.Optional(Type.String({ minLength: 1 })),
  /** Static headers on every request (e.g. authorization); a value cannot hold CR, LF or NUL (RFC 9110 §5.5). */
  headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }), Type.String({ pattern: '^[^\\r\\n\\x00]*$' }), { default: {} }),
  timeoutMs: Type.Integer({ default: 10_000, minimum: 1, maximum: 300_000 }),
  concurrency: Type.Integer({ default: 10, minimum: 1, maximum: 1000 }),
  retry: Type.Optional(RetrySchema),
  /** subject: one delivery at a time per event subject, in the order received (see README, Ordered delivery). */
  ordering: Type.Union([Type.Literal('none'), Type.Literal('subject')], { default: 'none' }),
  /** With ordering: subject, what a dead head does to its subject: skip (the next goes) or block (held until an operator retries or skips it). */
  onDead: Type.Optional(Type.Union([Type.Literal('skip'), Type.Literal('block')]))
}, withDefaults)

export const DeliverySchema = Type.Object({
  /** Attempts in flight across all destinations, so one slow service cannot take every slot. */
  concurrency: Type.Integer({ default: 100, minimum: 1, maximum: 10_000 }),
  /** How often the dispatcher looks for due retries when nothing nudges it. */
  pollIntervalMs: Type.Integer({ default: 1000, minimum: 10 })
}, closed)

export const ConfigSchema = Type.Object({
  server: Type.Object(ServerSchema.properties, { ...closed, default: {} }),
  storage: Type.Object(StorageSchema.properties, { ...closed, default: {} }),
  sources: Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' }), SourceSchema, { default: {} }),
  destinations: Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }), DestinationSchema, { default: {} }),
  delivery: Type.Object(DeliverySchema.properties, { ...closed, default: {} }),
  // An empty token (`${HOOKGATE_ADMIN_TOKEN:-}` with the variable unset) turns the admin API off.
  admin: Type.Object({ token: Type.Optional(Type.Union([Type.Literal(''), Type.String({ minLength: 16 })])) }, { ...closed, default: {} }),
  metrics: Type.Object({ requireToken: Type.Boolean({ default: false }) }, { ...closed, default: {} }),
  logging: Type.Object({
    level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' })
  }, { ...closed, default: {} })
}, closed)

export type ConfigInput = Static<typeof ConfigSchema>
