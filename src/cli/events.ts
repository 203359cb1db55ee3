import { adminTarget, callAdmin, processIo, runCommand, type Io } from './admin-client.js'
import { clientOptions, parse } from './args.js'
import { table } from './table.js'

interface EventPage { items: Array<Record<string, unknown>>, nextCursor: string | null }

const FILTERS = ['status', 'source', 'type', 'subject', 'since', 'until', 'limit', 'cursor'] as const

/** `hookgate events [--status dead] [--source clerk] …`: GET /admin/events as a table, or its JSON. */
export async function eventsCommand (argv: string[], io: Io = processIo): Promise<number> {
  const json = argv.includes('--json')
  return runCommand('events', io, json, async () => {
    const { values } = parse(argv, {
      ...clientOptions,
      ...Object.fromEntries(FILTERS.map((f) => [f, { type: 'string' }])) as Record<typeof FILTERS[number], { type: 'string' }>
    })
    const query = new URLSearchParams()
    for (const filter of FILTERS) {
      const value = values[filter]
      if (typeof value === 'string') query.set(filter, value)
    }
    const page = await callAdmin(await adminTarget(values, io.env), 'GET', `/admin/events${query.size > 0 ? '?' + query.toString() : ''}`) as EventPage
    if (json) return io.out(JSON.stringify(page) + '\n')
    if (page.items.length === 0) return io.out('no events\n')
    io.out(table(page.items, [['ID', 'id'], ['RECEIVED', 'receivedAt'], ['SOURCE', 'source'], ['TYPE', 'type'], ['SUBJECT', 'subject'], ['STATUS', 'status']]))
    if (page.nextCursor !== null) io.out(`more: --cursor ${page.nextCursor}\n`)
  })
}
