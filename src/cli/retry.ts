import { adminTarget, callAdmin, processIo, runCommand, UsageError, type Io } from './admin-client.js'
import { clientOptions, parse } from './args.js'

const USAGE = 'usage: hookgate retry --dead|--pending [--destination name] [--since ISO] [--until ISO] [--dry-run]  |  hookgate retry <delivery id>|<event id>'

interface BulkAnswer { count: number, dryRun: boolean }

/**
 * `hookgate retry --dead [--destination name]`: every dead delivery (of one
 * destination) gets a fresh schedule. `--pending`: every pending delivery
 * waiting for a later retry is due now (a receiver that was down is back).
 * `--dry-run` only counts. `hookgate retry <delivery id>`: that delivery;
 * `hookgate retry <event id>`: that event's dead and waiting deliveries.
 * Bulk needs an explicit --dead or --pending, so a bare `hookgate retry`
 * never retries everything by accident.
 */
export async function retryCommand (argv: string[], io: Io = processIo): Promise<number> {
  const json = argv.includes('--json')
  return runCommand('retry', io, json, async () => {
    const { values, positionals } = parse(argv, {
      ...clientOptions,
      dead: { type: 'boolean' },
      pending: { type: 'boolean' },
      destination: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'dry-run': { type: 'boolean' }
    })
    const kinds = (['dead', 'pending'] as const).filter((k) => values[k] === true)
    if (kinds.length + positionals.length !== 1) throw new UsageError(USAGE)
    const target = await adminTarget(values, io.env)
    const filter = { destination: values.destination, since: values.since, until: values.until, dryRun: values['dry-run'] === true }
    const to = values.destination === undefined ? '' : ` to ${values.destination}`
    const deliveries = (n: number) => `${n} ${n === 1 ? 'delivery' : 'deliveries'}`
    const [kind] = kinds
    if (kind !== undefined) {
      const answer = await callAdmin(target, 'POST', '/admin/deliveries/retry', { status: kind, ...filter }) as BulkAnswer
      if (json) return io.out(JSON.stringify(answer) + '\n')
      const what = `${answer.count} ${kind === 'dead' ? 'dead' : 'waiting'} ${answer.count === 1 ? 'delivery' : 'deliveries'}${to}`
      return io.out(answer.dryRun ? `would retry ${what} (dry run: nothing changed)\n` : `retried ${what}${kind === 'pending' ? ': due now' : ''}\n`)
    }
    const id = positionals[0]!
    if (id.startsWith('evt_')) {
      // An event's deliveries: the dead ones start again, the waiting ones are due now.
      const dead = await callAdmin(target, 'POST', '/admin/deliveries/retry', { status: 'dead', eventId: id, ...filter }) as BulkAnswer
      const waiting = await callAdmin(target, 'POST', '/admin/deliveries/retry', { status: 'pending', eventId: id, ...filter }) as BulkAnswer
      if (json) return io.out(JSON.stringify({ eventId: id, dead: dead.count, pending: waiting.count, dryRun: filter.dryRun }) + '\n')
      const what = `${deliveries(dead.count + waiting.count)} of ${id}${to} (${dead.count} dead, ${waiting.count} waiting)`
      return io.out(filter.dryRun ? `would retry ${what} (dry run: nothing changed)\n` : `retried ${what}\n`)
    }
    if (!/^\d+$/.test(id)) throw new UsageError(`'${id}' is neither a delivery id (a number) nor an event id (evt_…); ${USAGE}`)
    const answer = await callAdmin(target, 'POST', `/admin/deliveries/${id}/retry`, {}) as { id: number, status: string, runAt: string }
    io.out(json ? JSON.stringify(answer) + '\n' : `delivery ${answer.id}: ${answer.status}, due ${answer.runAt}\n`)
  })
}
