import { Type, type Static } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AdminOperations } from './operations.js'
import { closed, errors, HeldSubject, Limit, Name, Page } from './schemas.js'

const HeldQuery = Type.Object({
  destination: Type.Optional(Name),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  limit: Limit
}, closed)

export function heldRoutes (ops: AdminOperations) {
  return async function held (app: FastifyInstance) {
    app.get<{ Querystring: Static<typeof HeldQuery> }>('/held', {
      schema: {
        summary: 'Subjects held up at destinations that order by subject, oldest head first: the head delivery, what holds it, and how many wait behind it',
        description: 'Release one with POST /admin/deliveries/:id/retry (the head goes again, in order) or /skip (the next of the subject goes).',
        tags: ['deliveries'],
        querystring: HeldQuery,
        response: { 200: Page(HeldSubject), ...errors(400, 401, 404) }
      }
    }, async (request) => {
      const { cursor, ...query } = request.query
      return await ops.heldSubjects({ ...query, cursor: cursor === undefined ? undefined : Number(cursor) })
    })
  }
}
