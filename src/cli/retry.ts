import { adminTarget, callAdmin, processIo, runCommand, UsageError, type Io } from './admin-client.js'
import { clientOptions, parse } from './args.js'

const USAGE = 'usage: hookgate retry --dead [--destination name] [--since ISO] [--until ISO] [--dry-run]  |  hookgate retry <delivery id>'

/**
 * `hookgate retry --dead [--destination name]`: every dead delivery (of one
 * destination) gets a fresh schedule; `--dry-run` only counts them.
 * `hookgate retry <delivery id>`: that one delivery. Bulk needs the explicit
 * --dead, so a bare `hookgate retry` never retries everything by accident.
 */
export async function retryCommand (argv: string[], io: Io = processIo): Promise<number> {
  const json = argv.includes('--json')
  return runCommand('retry', io, json, async () => {
    const { values, positionals } = parse(argv, {
      ...clientOptions,
      dead: { type: 'boolean' },
      destination: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'dry-run': { type: 'boolean' }
    })
    const bulk = values.dead === true
    if (bulk === (positionals.length > 0) || positionals.length > 1) throw new UsageError(USAGE)
    const target = adminTarget(values, io.env)
    if (!bulk) {
      const id = positionals[0]!
      if (!/^\d+$/.test(id)) throw new UsageError(`'${id}' is not a delivery id (a number); ${USAGE}`)
      const answer = await callAdmin(target, 'POST', `/admin/deliveries/${id}/retry`, {}) as { id: number, status: string, runAt: string }
      return io.out(json ? JSON.stringify(answer) + '\n' : `delivery ${answer.id}: ${answer.status}, due ${answer.runAt}\n`)
    }
    const filter = { destination: values.destination, since: values.since, until: values.until }
    const answer = await callAdmin(target, 'POST', '/admin/deliveries/retry', { ...filter, dryRun: values['dry-run'] === true }) as { count: number, dryRun: boolean }
    if (json) return io.out(JSON.stringify(answer) + '\n')
    const what = `${answer.count} dead ${answer.count === 1 ? 'delivery' : 'deliveries'}${values.destination === undefined ? '' : ` to ${values.destination}`}`
    io.out(answer.dryRun ? `would retry ${what} (dry run: nothing changed)\n` : `retried ${what}\n`)
  })
}
