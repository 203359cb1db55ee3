import { Type, type Static } from 'typebox'
import type { FastifyInstance } from 'fastify'
import { numericPage } from './deps.js'
import type { AdminOperations } from './operations.js'
import { closed, errors, Name, Page, Range, Rejection } from './schemas.js'

const RejectionQuery = Type.Object({
  source: Type.Optional(Name),
  reason: Type.Optional(Type.String({ pattern: '^HG_ERR_[A-Z_]+$', description: 'An HG_ERR_* code' })),
  ...Range,
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  // Each carries up to 64 KiB of body: smaller pages than the other lists.
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 })
}, closed)

export function rejectionRoutes (ops: AdminOperations) {
  return async function rejections (app: FastifyInstance) {
    app.get<{ Querystring: Static<typeof RejectionQuery> }>('/rejections', {
      schema: {
        summary: 'Refused webhook requests (signature, timestamp, shape, size, unknown source), newest first, with headers and the first 64 KiB of the body',
        tags: ['rejections'],
        querystring: RejectionQuery,
        response: { 200: Page(Rejection), ...errors(400, 401) }
      }
    }, async (request) => await ops.listRejections(numericPage(request.query)))
  }
}
