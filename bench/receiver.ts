// The destination for the end-to-end phase: a plain node:http server, run as
// a child on the load core, that notes when each CloudEvent arrives. The id is
// `ce-id` (binary mode) or the body's `id` (structured mode); both are the
// gateway event id. Times are epoch ms from performance.timeOrigin + now(),
// the same clock the sender uses for acknowledgements. Driven over IPC.
import { createServer } from 'node:http'

export type ReceiverCommand = { cmd: 'reset' } | { cmd: 'count' } | { cmd: 'dump', withIds: boolean }

export interface ReceiverDump {
  received: number
  /** First arrival of each distinct id, in arrival order. */
  arrivalsMs: number[]
  ids?: string[]
}

const firstArrival = new Map<string, number>()
let received = 0

function idOf (header: string | string[] | undefined, body: Buffer): string | undefined {
  if (typeof header === 'string' && header !== '') return header
  try {
    const parsed: unknown = JSON.parse(body.toString())
    const id = (parsed as { id?: unknown } | null)?.id
    return typeof id === 'string' ? id : undefined
  } catch {
    return undefined
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const atMs = performance.timeOrigin + performance.now()
    received++
    const id = idOf(req.headers['ce-id'], Buffer.concat(chunks))
    if (id !== undefined && !firstArrival.has(id)) firstArrival.set(id, atMs)
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
  })
})

process.on('message', (message: ReceiverCommand) => {
  if (message.cmd === 'reset') {
    firstArrival.clear()
    received = 0
    process.send?.({ reset: true })
  } else if (message.cmd === 'count') {
    process.send?.({ count: firstArrival.size, received })
  } else {
    const dump: ReceiverDump = { received, arrivalsMs: [...firstArrival.values()] }
    if (message.withIds) dump.ids = [...firstArrival.keys()]
    process.send?.(dump)
  }
})
process.on('disconnect', () => { server.close(); process.exit(0) })

server.keepAliveTimeout = 30_000
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => { process.send?.({ ready: true }) })
