import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { HG_ERR_BAD_REQUEST, HG_ERR_BODY_TOO_LARGE, HG_ERR_INTERNAL, HG_ERR_NOT_FOUND } from './errors.js'

/** Fastify's own errors, and any other, become one of ours: every answer carries an HG_ERR_* code. */
export function toGatewayError (err: FastifyError, bodyLimitBytes: number): FastifyError {
  if (typeof err.code === 'string' && err.code.startsWith('HG_ERR_')) return err
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HG_ERR_BODY_TOO_LARGE(bodyLimitBytes)
  const status = err.statusCode ?? 500
  if (status >= 400 && status < 500) {
    // Keep Fastify's own 4xx status (415, 406…) but give it our code.
    return Object.assign(new HG_ERR_BAD_REQUEST(err.message), { statusCode: status }) as FastifyError
  }
  return new HG_ERR_INTERNAL()
}

export function sendError (reply: FastifyReply, err: FastifyError): FastifyReply {
  const statusCode = err.statusCode ?? 500
  return reply.code(statusCode).send({ statusCode, code: err.code, error: STATUS_CODES[statusCode] ?? 'Error', message: err.message })
}

export function notFound (request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, new HG_ERR_NOT_FOUND(`${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`))
}
