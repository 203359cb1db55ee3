import { adminTarget, callAdmin, processIo, runCommand, UsageError, type Io } from './admin-client.js'
import { clientOptions, parse } from './args.js'

const USAGE = 'usage: hookgate skip <delivery id>'

/**
 * `hookgate skip <delivery id>`: takes the head of a held subject out of its
 * line (POST /admin/deliveries/:id/skip), so the next delivery of the
 * subject goes now; the skipped one is dead, and `hookgate retry` can still
 * send it, out of order.
 */
export async function skipCommand (argv: string[], io: Io = processIo): Promise<number> {
  const json = argv.includes('--json')
  return runCommand('skip', io, json, async () => {
    const { values, positionals } = parse(argv, clientOptions)
    const [id, ...extra] = positionals
    if (id === undefined || extra.length > 0) throw new UsageError(USAGE)
    if (!/^\d+$/.test(id)) throw new UsageError(`'${id}' is not a delivery id (a number; hookgate held lists the heads); ${USAGE}`)
    const answer = await callAdmin(await adminTarget(values, io.env), 'POST', `/admin/deliveries/${id}/skip`, {}) as { id: number, eventId: string, destination: string, status: string }
    io.out(json ? JSON.stringify(answer) + '\n' : `delivery ${answer.id} (${answer.eventId} to ${answer.destination}) skipped, now ${answer.status}: the next of its subject goes now\n`)
  })
}
