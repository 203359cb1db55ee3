import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify'
import { systemClock, type Clock } from './clock.js'
import type { Config } from './config/load.js'
import { subjectOrdering } from './config/ordering.js'
import { openStore } from './db/open-store.js'
import { HG_ERR_SHUTTING_DOWN } from './errors.js'
import { healthRoutes } from './health.js'
import { clientErrorHandler, notFound, sendError, toGatewayError } from './http-errors.js'
import { adminRoutes } from './admin/index.js'
import { adminOperations } from './admin/operations.js'
import { consoleRoutes } from './console/index.js'
import { createAuthThrottle } from './admin/auth-throttle.js'
import { createIngestBudget } from './ingest/budget.js'
import { observeIngest } from './ingest/observe.js'
import { createRejectionRecorder } from './ingest/rejections.js'
import { ingestRoutes } from './ingest/route.js'
import { createMetrics, type Metrics } from './metrics/metrics.js'
import { metricsRoute } from './metrics/route.js'
import { createRetention, type Retention } from './retention.js'
import { Dispatcher } from './outbox/dispatcher.js'
import { createSenderRegistry } from './destinations/registry.js'
import { createRouter } from './outbox/routing.js'
import type { Store } from './store/contract.js'

export interface AppDeps {
  readonly clock?: Clock
  /** Where log lines go (tests capture them); stdout by default. */
  readonly logStream?: NodeJS.WritableStream
  /**
   * Run the delivery loop (nudges, poll timer, lease sweep). Off by default so
   * tests drive deliveries with dispatcher.runOnce(); `hookgate start` turns it on.
   */
  readonly startDispatcher?: boolean
  /**
   * Leave reclaiming leases, the delivery loop and retention to
   * app.hookgate.begin(), called once the server listens: a gateway that
   * cannot listen (a second one on the same port and database) must exit
   * without touching the running one's deliveries.
   */
  readonly deferStart?: boolean
  /** Randomness for retry jitter; tests pin it. */
  readonly random?: () => number
  /**
   * The writer thread died more than MAX_RESTARTS times in a minute: nothing
   * can be stored any more. `hookgate start` exits non-zero so its supervisor
   * restarts it; by default (tests) it is only logged.
   */
  readonly onWriterFatal?: (err: Error) => void
  /**
   * Wraps the store the app uses: tests watch the real store's calls through
   * it (a seam, rather than patching its methods).
   */
  readonly wrapStore?: (store: Store) => Store
}

declare module 'fastify' {
  interface FastifyInstance {
    readonly hookgate: { readonly config: Config, readonly clock: Clock, readonly store: Store, readonly dispatcher: Dispatcher, readonly metrics: Metrics, readonly retention: Retention, readonly begin: () => Promise<void> }
  }
}

/**
 * Builds the gateway without listening (tests use inject()). It opens the
 * store (lock, migrations, writer thread), and registers each part in turn;
 * closing the app stops them in reverse.
 */
export async function buildApp (config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock
  // The store opens before the logger exists; what it says meanwhile is logged once there is one.
  const log: { current?: FastifyBaseLogger } = {}
  const notices: string[] = []
  const opened = await openStore(config.storage, clock, {
    onNotice: (message) => log.current === undefined ? notices.push(message) : log.current.info(message),
    onRestart: (err, restarts) => log.current?.error({ err, restarts }, 'the writer thread died and was restarted; the batch it was committing was refused with 503 (its senders retry)'),
    onFatal: (err) => {
      log.current?.fatal({ err }, 'the writer thread keeps dying: nothing can be stored')
      deps.onWriterFatal?.(err)
    }
  })
  const store = deps.wrapStore?.(opened) ?? opened
  let app: FastifyInstance
  try {
    app = await assemble(config, deps, clock, store)
  } catch (err) {
    await opened.close()
    throw err
  }
  log.current = app.log
  for (const message of notices) app.log.info(message)
  return app
}

async function assemble (config: Config, deps: AppDeps, clock: Clock, store: Store): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logging.level, ...(deps.logStream === undefined ? {} : { stream: deps.logStream }) },
    // Fastify's own two lines per request are off: ours (onResponse, below) is one line with the webhook's outcome.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.server.bodyLimitBytes,
    requestTimeout: config.server.requestTimeoutMs,
    // Node swaps the two when headersTimeout (60 s by default) is the larger, and a body then gets 60 s.
    http: {
      headersTimeout: Math.min(60_000, config.server.requestTimeoutMs),
      // Node enforces both timeouts only when it sweeps its connections (every 30 s by default), so a
      // slow sender could hold its socket up to 30 s past the bound; a sweep every tenth of it keeps the bound.
      connectionsCheckingInterval: Math.min(1000, Math.ceil(config.server.requestTimeoutMs / 10))
    },
    // We answer requests that arrive while closing ourselves, with a code (below).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    genReqId: () => Math.random().toString(36).slice(2, 12),
    // Admin schemas are closed: an unknown (mistyped) field is a 400, not silently dropped from a bulk retry's filter.
    ajv: { customOptions: { removeAdditional: false } },
    // Errors the router raises before any handler (a bad URL, a too long path segment) get our codes too.
    frameworkErrors: (err, _request, reply) => sendError(reply, toGatewayError(err, config.server.bodyLimitBytes)),
    clientErrorHandler
  })
  const budget = createIngestBudget(config.server.ingestMaxBytesInFlight)
  const metrics = createMetrics({ store, clock, destinations: Object.keys(config.destinations), ordering: subjectOrdering(config.destinations), budget })
  const dispatcher = new Dispatcher({ config, store, clock, senders: createSenderRegistry(clock), log: app.log.child({ component: 'dispatcher' }), observe: metrics.observeAttempt, ...(deps.random === undefined ? {} : { random: deps.random }) })
  const retention = createRetention({ config, store, clock, metrics, log: app.log.child({ component: 'retention' }) })
  app.decorate('hookgate', { config, clock, store, dispatcher, metrics, retention, begin })

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const gatewayError = toGatewayError(err, config.server.bodyLimitBytes)
    if (gatewayError.statusCode === 500) request.log.error({ err }, 'unhandled error')
    // A 503 says only "retry later"; what failed underneath (an admin write's SQLite code) is logged here.
    else if (gatewayError.statusCode === 503 && gatewayError.cause !== undefined) request.log.error({ err: gatewayError.cause }, 'a write failed; answered 503')
    if (request.webhook !== undefined) request.webhook.outcome = gatewayError.code
    return sendError(reply, gatewayError)
  })
  app.setNotFoundHandler(notFound)

  let closing = false
  app.addHook('preClose', async () => { closing = true })
  // Hooks on every request take Fastify's callback form: an async one costs a promise and a microtask hop per request.
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done()
    reply.header('connection', 'close')
    done(new HG_ERR_SHUTTING_DOWN())
  })

  // One line per request, and no header or body in it: both may carry secrets.
  // Registered only when the level writes it: otherwise it would run for every webhook for nothing.
  if (['info', 'debug', 'trace'].includes(config.logging.level)) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info({
        method: request.method,
        url: request.routeOptions.url ?? request.url.split('?')[0],
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        ...request.webhook
      }, 'request')
      done()
    })
  }

  const recordRejection = createRejectionRecorder({ store, clock, metrics, log: app.log, maxRows: config.storage.rejectionMaxRows, maxBytes: config.storage.rejectionMaxBytes, adminToken: config.admin.token, sources: config.sources, providers: config.providers })
  const observer = observeIngest({ config, metrics, recordRejection })
  app.addHook('onError', observer.onError)
  app.addHook('onResponse', observer.onResponse)

  const route = createRouter(config.destinations)
  await app.register(ingestRoutes({ config, clock, store, route, outbox: dispatcher, budget }))
  await app.register(healthRoutes({ clock, store }))
  // One count of failed admin-token attempts for /admin and /metrics: the same token guards both.
  const authThrottle = createAuthThrottle(clock)
  await app.register(metricsRoute({ metrics, token: config.metrics.requireToken ? config.admin.token : undefined, authThrottle }))
  if (config.admin.token !== undefined) {
    const adminDeps = { config, clock, store, route, token: config.admin.token, authThrottle, onQueued: () => { dispatcher.nudge() }, onPauseChanged: (name: string) => { dispatcher.pauseChanged(name) }, breakerOpen: (name: string) => dispatcher.breakerOpen(name) }
    await app.register(adminRoutes(adminDeps), { prefix: '/admin' })
    // The web console: the same operations as the admin API, behind the same token and throttle.
    await app.register(consoleRoutes({ ...adminDeps, ops: adminOperations(adminDeps) }), { prefix: '/ui' })
  }

  // A destination taken out of the config leaves its deliveries pending: nothing claims them.
  for (const [destination, depth] of await store.queueDepths()) {
    if (depth.pending > 0 && !Object.hasOwn(config.destinations, destination)) {
      app.log.warn({ destination, pending: depth.pending }, 'deliveries are pending for a destination that is not in the config: they wait until it is configured again')
    }
  }
  let begun = false
  async function begin (): Promise<void> {
    if (begun) return
    begun = true
    // The first beat; on an exclusive store (SQLite's instance lock) every lease is a dead process's and runs again now.
    const reclaimed = await dispatcher.recover()
    if (reclaimed > 0) app.log.warn({ reclaimed }, 'reclaimed deliveries a previous run left in flight')
    if (deps.startDispatcher === true) dispatcher.start()
    retention.start()
  }
  if (deps.deferStart !== true) await begin()

  app.addHook('onClose', async () => {
    // Before the store closes: deliveries settle (or are released) through it.
    await dispatcher.stop(config.server.shutdownGraceMs)
    await retention.stop()
    await store.close()
  })
  return app
}
