import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import {
  HG_ERR_BAD_REQUEST, HG_ERR_BODY_TOO_LARGE, HG_ERR_CONTENT_TYPE_INVALID, HG_ERR_HEADERS_TOO_LARGE,
  HG_ERR_INTERNAL, HG_ERR_NOT_FOUND, HG_ERR_REQUEST_TIMEOUT, HG_ERR_STORAGE_UNAVAILABLE, HG_ERR_URL_TOO_LONG
} from './errors.js'

/** Fastify's own errors, and any other, become one of ours: every answer carries an HG_ERR_* code. */
export function toGatewayError (err: FastifyError, bodyLimitBytes: number): FastifyError {
  // A writer fault is for the log: the sender only hears that it should retry.
  if (typeof err.code === 'string' && err.code.startsWith('HG_ERR_WRITE')) return new HG_ERR_STORAGE_UNAVAILABLE(RETRY_AFTER_S, { cause: err })
  if (typeof err.code === 'string' && err.code.startsWith('HG_ERR_')) return err
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new HG_ERR_BODY_TOO_LARGE(bodyLimitBytes)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_TYPE': return new HG_ERR_CONTENT_TYPE_INVALID()
    // The router's message quotes the whole path back: say what is wrong instead.
    case 'FST_ERR_MAX_PARAM_LENGTH': return new HG_ERR_URL_TOO_LONG()
    case 'FST_ERR_BAD_URL': return new HG_ERR_BAD_REQUEST('malformed URL')
  }
  const status = err.statusCode ?? 500
  if (status >= 400 && status < 500) return new HG_ERR_BAD_REQUEST(err.message)
  return new HG_ERR_INTERNAL()
}

function errorBody (err: FastifyError): { statusCode: number, code: string, error: string, message: string } {
  const statusCode = err.statusCode ?? 500
  return { statusCode, code: err.code, error: STATUS_CODES[statusCode] ?? 'Error', message: err.message }
}

/**
 * What a 503 asks the sender to wait, in seconds. The messages say it too:
 * what the sender should do, never how the store failed (that is logged).
 */
export const RETRY_AFTER_S = 5
const RETRY_LATER = new Set(['HG_ERR_STORAGE_UNAVAILABLE', 'HG_ERR_OVERLOADED'])

export function sendError (reply: FastifyReply, err: FastifyError): FastifyReply {
  if (RETRY_LATER.has(err.code)) reply.header('retry-after', String(RETRY_AFTER_S))
  return reply.code(err.statusCode ?? 500).send(errorBody(err))
}

export function notFound (request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, new HG_ERR_NOT_FOUND(`${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`))
}

/**
 * Requests Node's HTTP parser refuses never reach Fastify's routes: answer
 * them with a code too. Only the error's code is logged: Fastify's default
 * handler logs the error itself, which carries the raw request bytes
 * (an Authorization header among them).
 */
export function clientErrorHandler (this: { log: { debug: (o: object, m: string) => void } }, err: NodeJS.ErrnoException, socket: Socket): void {
  this.log.debug({ code: err.code }, 'client error')
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const gatewayError = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? new HG_ERR_REQUEST_TIMEOUT()
    : err.code === 'HPE_HEADER_OVERFLOW' ? new HG_ERR_HEADERS_TOO_LARGE() : new HG_ERR_BAD_REQUEST('malformed HTTP request')
  const body = JSON.stringify(errorBody(gatewayError))
  const status = gatewayError.statusCode ?? 400
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
}
