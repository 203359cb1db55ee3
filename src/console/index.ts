import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthThrottle } from '../admin/auth-throttle.js'
import type { AdminOperations } from '../admin/operations.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config/load.js'
import { toGatewayError } from '../http-errors.js'
import { ASSETS } from './assets/index.js'
import { html, installGuard } from './guard.js'
import { errorPage, type View } from './layout.js'
import { installLiveFeed } from './live.js'
import { deadPage } from './pages/dead.js'
import { destinationsPage } from './pages/destinations.js'
import { eventDetailPage } from './pages/event-detail.js'
import { eventsPage } from './pages/events.js'
import { overviewPage } from './pages/overview.js'
import { rejectionsPage } from './pages/rejections.js'
import { createSessions } from './sessions.js'
import { registerActions } from './actions.js'

/** A console session lasts a working shift, then the token is asked for again. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000

/** Pages answer with these: scripts and styles only from the gateway, no framing, no referrer leaving for another site. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with our own forms.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY'
}

export interface ConsoleDeps {
  readonly config: Config
  readonly clock: Clock
  readonly ops: AdminOperations
  readonly token: string
  readonly authThrottle: AuthThrottle
}

type Query = Record<string, string | undefined>

/**
 * The web console at /ui, registered only when admin.token is set. Pages are
 * server-rendered HTML (html.ts) over the admin API's own functions
 * (admin/operations.ts); actions are plain forms posted back with a CSRF
 * token; one small script adds live updates and copy buttons.
 */
export function consoleRoutes ({ config, clock, ops, token, authThrottle }: ConsoleDeps) {
  const sources = Object.keys(config.sources)
  const destinations = Object.keys(config.destinations)
  const sessions = createSessions(clock, SESSION_TTL_MS)

  return async function webConsole (app: FastifyInstance) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    })
    app.addHook('onSend', async (request, reply) => {
      if (request.url.startsWith('/ui/assets/')) return
      reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' })
    })
    app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const error = toGatewayError(err, config.server.bodyLimitBytes)
      const status = error.statusCode ?? 500
      if (status >= 500) request.log.error({ err }, 'console page failed')
      return html(reply, status, errorPage(status, error.code, error.message, request.consoleSession !== undefined))
    })
    app.setNotFoundHandler((request, reply) => html(reply, 404, errorPage(404, 'HG_ERR_NOT_FOUND', `No console page at ${request.url.split('?')[0]}`, request.consoleSession !== undefined)))

    for (const [path, asset] of Object.entries(ASSETS)) {
      app.get(path.slice('/ui'.length), async (_request, reply) =>
        reply.type(asset.type).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body))
    }

    installGuard(app, { token, throttle: authThrottle, sessions })
    installLiveFeed(app, { ops, sessions })

    const view = (request: FastifyRequest): View => ({ session: request.consoleSession!, path: request.url.split('?')[0]! })
    const send = (reply: FastifyReply, body: { text: string }) => html(reply, 200, body)

    app.get('/', async (request, reply) => send(reply, await overviewPage(ops, view(request))))
    app.get<{ Querystring: Query }>('/events', async (request, reply) => send(reply, await eventsPage(ops, view(request), request.query, sources)))
    app.get<{ Params: { id: string } }>('/events/:id', async (request, reply) => send(reply, await eventDetailPage(ops, view(request), request.params.id, destinations)))
    app.get<{ Querystring: Query }>('/dead', async (request, reply) => send(reply, await deadPage(ops, view(request), request.query, destinations)))
    app.get<{ Querystring: Query }>('/rejections', async (request, reply) => send(reply, await rejectionsPage(ops, view(request), request.query, sources)))
    app.get<{ Querystring: Query }>('/destinations', async (request, reply) => send(reply, await destinationsPage(ops, view(request), request.query)))
    registerActions(app, { ops, destinations })
  }
}
