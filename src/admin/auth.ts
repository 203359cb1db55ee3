import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { HG_ERR_ADMIN_UNAUTHORIZED } from '../errors.js'

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/**
 * Whether an Authorization header carries `Bearer <token>`. Both sides are
 * hashed first so the comparison is constant-time and of equal length:
 * neither the token's bytes nor its length leak through timing.
 */
export function bearerMatches (header: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header ?? '')
  const given = digest(match?.[1] ?? '')
  return timingSafeEqual(given, digest(token)) && match !== null
}

/** An onRequest hook: 401 with a WWW-Authenticate challenge unless the admin token is presented. */
export function requireBearer (token: string) {
  return async function checkBearer (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (bearerMatches(request.headers.authorization, token)) return
    reply.header('www-authenticate', 'Bearer realm="hookgate"')
    throw new HG_ERR_ADMIN_UNAUTHORIZED()
  }
}
