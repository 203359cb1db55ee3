import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AdminOperations } from '../admin/operations.js'
import { query } from './html.js'
import { deadFilter } from './pages/dead.js'
import { timeInput, type Values } from './pages/form-values.js'

/** Where an action may send the browser back to: a console path, never another site. */
const back = (value: string | undefined, fallback: string): string => value !== undefined && /^\/ui\/[^/\\]/.test(value) ? value : fallback

const form = (request: FastifyRequest): Values => (request.body ?? {}) as Values

/**
 * The console's actions: each calls the admin API's function, leaves its
 * outcome (or its HG_ERR_* refusal) as the next page's message, and answers
 * 303 to a page (post, redirect, get: a reload never repeats an action).
 */
export function registerActions (app: FastifyInstance, { ops, destinations }: { ops: AdminOperations, destinations: readonly string[] }): void {
  async function act (request: FastifyRequest, reply: FastifyReply, to: string, action: () => Promise<string>) {
    const session = request.consoleSession!
    try {
      session.flash = { kind: 'ok', text: await action() }
    } catch (err) {
      const known = err as { code?: string, message?: string, statusCode?: number }
      if (typeof known.code !== 'string' || !known.code.startsWith('HG_ERR_') || (known.statusCode ?? 500) >= 500) throw err
      session.flash = { kind: 'error', text: known.message ?? known.code }
    }
    return reply.redirect(to, 303)
  }

  app.post<{ Params: { id: string } }>('/events/:id/replay', async (request, reply) => {
    const { id } = request.params
    const named = form(request).destination
    return act(request, reply, `/ui/events/${encodeURIComponent(id)}`, async () => {
      const { deliveries } = await ops.replayEvent(id, named === '' ? undefined : named)
      return `Replayed to ${deliveries.map((d) => d.destination).join(', ')}.`
    })
  })

  /** An action on one delivery, by id; back to the page it came from. */
  function onDelivery (name: string, fallback: string, action: (id: number, request: FastifyRequest) => Promise<string>): void {
    app.post<{ Params: { id: string } }>(`/deliveries/:id/${name}`, async (request, reply) => {
      const id = Number(request.params.id)
      return act(request, reply, back(form(request).back, fallback), async () =>
        !Number.isSafeInteger(id) || id < 1 ? `No delivery ${request.params.id}.` : await action(id, request))
    })
  }

  onDelivery('retry', '/ui/dead', async (id, request) => {
    const retried = await ops.retryDelivery(id, (destination) => request.log.warn({ destination }, 'retried a delivery whose destination is no longer configured'))
    return `Delivery ${retried.id} is due now.`
  })

  onDelivery('skip', '/ui/destinations', async (id) => {
    const skipped = await ops.skipDelivery(id)
    return `Delivery ${skipped.id} was skipped (it stays dead): the next of its subject goes now.`
  })

  app.post('/dead/retry', async (request, reply) => {
    const values = form(request)
    const filter = deadFilter(values, destinations)
    const kept = { destination: filter.destination, since: timeInput(filter.since), until: timeInput(filter.until) }
    return act(request, reply, `/ui/dead${query(kept)}`, async () => {
      const { count } = await ops.retryDeliveries({ status: 'dead', ...filter, dryRun: false })
      const expected = values.expected === undefined ? undefined : Number(values.expected)
      const drift = expected !== undefined && expected !== count ? ` (the dry run counted ${expected}: some died or were retried since)` : ''
      return `Retried ${count} dead ${count === 1 ? 'delivery' : 'deliveries'}${drift}.`
    })
  })

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { name: string } }>(`/destinations/:name/${action}`, async (request, reply) =>
      act(request, reply, '/ui/destinations', async () => {
        const state = await ops.setPaused(request.params.name, action === 'pause')
        return state.paused ? `${state.name} is paused: its deliveries wait.` : `${state.name} delivers again.`
      }))
  }
}
