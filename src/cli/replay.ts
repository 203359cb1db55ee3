import { adminTarget, callAdmin, processIo, runCommand, UsageError, type Io } from './admin-client.js'
import { clientOptions, parse } from './args.js'
import { table } from './table.js'

/** `hookgate replay <event id> [--destination name]`: new deliveries for an event. */
export async function replayCommand (argv: string[], io: Io = processIo): Promise<number> {
  const json = argv.includes('--json')
  return runCommand('replay', io, json, async () => {
    const { values, positionals } = parse(argv, {
      ...clientOptions,
      destination: { type: 'string' }
    })
    const [eventId, ...extra] = positionals
    if (eventId === undefined || extra.length > 0) throw new UsageError('usage: hookgate replay <event id> [--destination name]')
    const body = values.destination === undefined ? {} : { destination: values.destination }
    const answer = await callAdmin(await adminTarget(values, io.env), 'POST', `/admin/events/${encodeURIComponent(eventId)}/replay`, body) as {
      eventId: string, deliveries: Array<{ id: number, destination: string }>
    }
    if (json) return io.out(JSON.stringify(answer) + '\n')
    io.out(`replaying ${answer.eventId}: ${answer.deliveries.length} new ${answer.deliveries.length === 1 ? 'delivery' : 'deliveries'}\n`)
    io.out(table(answer.deliveries, [['DELIVERY', 'id'], ['DESTINATION', 'destination']]))
  })
}
