import type { FastifyInstance } from 'fastify'
import type { AdminOperations } from '../admin/operations.js'
import type { Sessions } from './sessions.js'

/** How often the feed looks for a new commit: a quarter of a second keeps "within 2 s" with room for the page fetch. */
const CHECK_MS = 250
/** A comment line now and then, so proxies do not close a quiet stream. */
const HEARTBEAT_MS = 15_000

/**
 * GET /ui/live: Server-Sent Events saying "something was stored" (a webhook,
 * an attempt, a retry), on which the page re-reads itself. One timer for all
 * open streams, running only while one is open; it reads SQLite's commit
 * counter (ops.changeMark), not the tables. Streams end when their session
 * does and when the gateway closes.
 */
export function installLiveFeed (app: FastifyInstance, { ops, sessions }: { ops: AdminOperations, sessions: Sessions }): void {
  const streams = new Map<NodeJS.WritableStream & { end: () => void }, string>()
  let timer: NodeJS.Timeout | undefined
  let mark: number | undefined
  let quietFor = 0

  async function check (): Promise<void> {
    const now = await ops.changeMark()
    const changed = mark !== undefined && now !== mark
    mark = now
    quietFor = changed ? 0 : quietFor + CHECK_MS
    for (const [stream, sessionId] of streams) {
      if (sessions.find(sessionId) === undefined) { streams.delete(stream); stream.end(); continue }
      if (changed) stream.write(`event: change\ndata: ${now}\n\n`)
      else if (quietFor >= HEARTBEAT_MS) stream.write(': still here\n\n')
    }
    if (quietFor >= HEARTBEAT_MS) quietFor = 0
  }

  function tick (): void {
    check().catch((err: unknown) => app.log.warn({ err }, 'console live feed: reading the change mark failed'))
  }

  app.get('/live', async (request, reply) => {
    const session = request.consoleSession!
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    res.write('retry: 1000\n\n')
    streams.set(res, session.id)
    if (timer === undefined) {
      mark = await ops.changeMark()
      timer = setInterval(tick, CHECK_MS)
      timer.unref()
    }
    res.on('close', () => {
      streams.delete(res)
      if (streams.size === 0 && timer !== undefined) { clearInterval(timer); timer = undefined }
    })
  })

  // Before the server waits for its connections to end: an open stream never would.
  app.addHook('preClose', async () => {
    if (timer !== undefined) clearInterval(timer)
    timer = undefined
    for (const stream of streams.keys()) stream.end()
    streams.clear()
  })
}
