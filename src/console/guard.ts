import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { tokenMatches } from '../admin/auth.js'
import type { AuthThrottle } from '../admin/auth-throttle.js'
import { signInPage } from './layout.js'
import { tokensEqual, type Session, type Sessions } from './sessions.js'

export const COOKIE = 'hg_session'

declare module 'fastify' {
  interface FastifyRequest { consoleSession?: Session }
}

function cookie (request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function setCookie (request: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number): void {
  // Secure whenever the browser reached us over HTTPS, directly or through a TLS-terminating proxy. The
  // proxy's header is believed without a trust setting because it can only make the cookie stricter.
  const secure = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https' ? '; Secure' : ''
  reply.header('set-cookie', `${COOKIE}=${value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`)
}

/**
 * A state-changing request must come from a console page: its Origin (every
 * browser sends one on a POST) names this host, and its form carries the
 * session's synchronizer token. SameSite=Strict already keeps the cookie off
 * cross-site requests; these hold even where it does not.
 */
function sameOrigin (request: FastifyRequest): boolean {
  const origin = request.headers.origin
  if (origin === undefined) return false
  try {
    // The host, not the scheme: behind a TLS-terminating proxy the page is https and this request http.
    const { protocol, host } = new URL(origin)
    return (protocol === 'https:' || protocol === 'http:') && host === request.host
  } catch {
    return false
  }
}

export function html (reply: FastifyReply, status: number, body: { text: string }) {
  return reply.code(status).type('text/html; charset=utf-8').send(body.text)
}

const form = (request: FastifyRequest): Record<string, string | undefined> => (request.body ?? {}) as Record<string, string | undefined>

/** Sign in, sign out, and the hooks that keep every other /ui page behind a session (on the console's scope). */
export function installGuard (app: FastifyInstance, { token, throttle, sessions }: { token: string, throttle: AuthThrottle, sessions: Sessions }): void {
  {
    app.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?')[0]!
      if (path === '/ui/login' || path.startsWith('/ui/assets/')) return
      const session = sessions.find(cookie(request, COOKIE))
      if (session === undefined) {
        if (request.method === 'GET' && path !== '/ui/live') return reply.redirect('/ui/login', 303)
        return html(reply, 401, signInPage({ text: 'Your session has ended: sign in again.', status: 401 }))
      }
      request.consoleSession = session
    })

    app.addHook('preHandler', async (request, reply) => {
      if (request.method !== 'POST') return
      const session = request.consoleSession
      const csrf = form(request)._csrf
      // The sign-in form has no session yet: the Origin check is its guard.
      if (!sameOrigin(request) || (session !== undefined && (csrf === undefined || !tokensEqual(csrf, session.csrf)))) {
        return html(reply, 403, signInPage({ text: 'This form came from somewhere else, or has expired: reload the page and try again.', status: 403 }))
      }
    })

    app.get('/login', async (request, reply) => {
      if (sessions.find(cookie(request, COOKIE)) !== undefined) return reply.redirect('/ui/', 303)
      return html(reply, 200, signInPage())
    })

    app.post('/login', async (request, reply) => {
      const waitMs = throttle.waitMs(request.ip)
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000)
        reply.header('retry-after', String(seconds))
        return html(reply, 429, signInPage({ text: `Too many failed sign-ins from this address: try again in ${seconds} s.`, status: 429 }))
      }
      const given = form(request).token ?? ''
      if (!tokenMatches(given, token)) {
        throttle.failed(request.ip)
        return html(reply, 401, signInPage({ text: 'That is not the admin token.', status: 401 }))
      }
      const session = sessions.open()
      setCookie(request, reply, session.id, Math.floor(sessions.ttlMs / 1000))
      request.log.info('console sign-in')
      return reply.redirect('/ui/', 303)
    })

    app.post('/logout', async (request, reply) => {
      if (request.consoleSession !== undefined) sessions.close(request.consoleSession.id)
      setCookie(request, reply, '', 0)
      return reply.redirect('/ui/login', 303)
    })
  }
}
