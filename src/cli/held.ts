import { adminTarget, callAdmin, processIo, runCommand, UsageError, type Io } from './admin-client.js'
import { clientOptions, parse } from './args.js'
import { table } from './table.js'

interface HeldPage {
  items: Array<{ destination: string, subject: string, state: string, waiting: number, head: { id: number, eventId: string, attemptCount: number, lastError: string | null } }>
  nextCursor: string | null
}

const USAGE = 'usage: hookgate held [--destination name] [--limit N] [--cursor C]'

/** `hookgate held [--destination name]`: GET /admin/held as a table (each held subject's head, what holds it, how many wait), or its JSON. */
export async function heldCommand (argv: string[], io: Io = processIo): Promise<number> {
  const json = argv.includes('--json')
  return runCommand('held', io, json, async () => {
    const { values, positionals } = parse(argv, { ...clientOptions, destination: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } })
    if (positionals.length > 0) throw new UsageError(USAGE)
    const query = new URLSearchParams()
    for (const name of ['destination', 'limit', 'cursor'] as const) if (values[name] !== undefined) query.set(name, values[name])
    const page = await callAdmin(await adminTarget(values, io.env), 'GET', `/admin/held${query.size > 0 ? '?' + query.toString() : ''}`) as HeldPage
    if (json) return io.out(JSON.stringify(page) + '\n')
    if (page.items.length === 0) return io.out('no held subjects\n')
    const rows = page.items.map(({ head, ...held }) => ({ ...held, head: head.id, event: head.eventId, attempts: head.attemptCount, error: head.lastError }))
    io.out(table(rows, [['DESTINATION', 'destination'], ['SUBJECT', 'subject'], ['STATE', 'state'], ['WAITING', 'waiting'], ['HEAD', 'head'], ['EVENT', 'event'], ['ATTEMPTS', 'attempts'], ['LAST ERROR', 'error']]))
    if (page.nextCursor !== null) io.out(`more: --cursor ${page.nextCursor}\n`)
    io.out('release a subject: hookgate retry <head> sends its head again first; hookgate skip <head> lets the next go\n')
  })
}
