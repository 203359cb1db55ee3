import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { HG_ERR_ADMIN_RATE_LIMITED, HG_ERR_ADMIN_UNAUTHORIZED } from '../errors.js'
import type { AuthThrottle } from './auth-throttle.js'

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/**
 * Whether an Authorization header carries `Bearer <token>`. Both sides are
 * hashed first so the comparison is constant-time and of equal length:
 * neither the token's bytes nor its length leak through timing.
 */
export function bearerMatches (header: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header ?? '')
  return tokenMatches(match?.[1] ?? '', token) && match !== null
}

/** The same constant-time comparison for a token given some other way (the console's sign-in form). */
export const tokenMatches = (given: string, token: string): boolean => timingSafeEqual(digest(given), digest(token))

/**
 * An onRequest hook: 401 with a WWW-Authenticate challenge unless the admin
 * token is presented; 429 with Retry-After, before the token is even looked
 * at, for an address that has failed too often (see auth-throttle.ts).
 */
export function requireBearer (token: string, throttle: AuthThrottle) {
  return async function checkBearer (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const waitMs = throttle.waitMs(request.ip)
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000)
      reply.header('retry-after', String(seconds))
      throw new HG_ERR_ADMIN_RATE_LIMITED(seconds)
    }
    if (bearerMatches(request.headers.authorization, token)) return
    throttle.failed(request.ip)
    reply.header('www-authenticate', 'Bearer realm="hookgate"')
    throw new HG_ERR_ADMIN_UNAUTHORIZED()
  }
}
