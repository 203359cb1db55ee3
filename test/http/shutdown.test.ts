// A real gateway in a child process, stopped with SIGTERM while a request is
// in flight: the request finishes, and one more arriving on the same
// connection (pipelined behind it) gets the coded 503, not a hang or a reset.
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { startChildGateway, writeConfig } from '../child-gateway.js'
import { CLERK_SECRET } from '../helper.js'

/** Resolves once a new connection to the port is refused: the server has stopped listening, so it is closing. */
async function refusedAt (port: number): Promise<void> {
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1')
      probe.once('connect', () => { probe.destroy(); resolve(false) })
      probe.once('error', () => resolve(true))
    })
    if (refused) return
  }
}

function readAll (socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    socket.on('data', (chunk: Buffer) => { text += chunk.toString() })
    socket.once('close', () => resolve(text))
  })
}

t.test('SIGTERM: the request in flight is answered, the next one on its connection gets 503 HG_ERR_SHUTTING_DOWN', async (t) => {
  const dir = t.testdir()
  const config = writeConfig(dir, {
    server: { host: '127.0.0.1', port: 0, shutdownGraceMs: 10_000 },
    storage: { path: join(dir, 'hookgate.db') },
    sources: { clerk: { provider: 'clerk', secret: CLERK_SECRET } }
  })
  const gateway = await startChildGateway(config)
  t.teardown(() => { if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL') })
  const port = Number(new URL(gateway.url).port)

  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  const answers = readAll(socket)
  const body = '{"type":"user.created"}'
  // Headers and half the body: the request is in flight when the signal comes.
  // The 100 Continue says the server has parsed the headers and taken the
  // request in (its onRequest hooks run in that same tick), so the signal
  // cannot overtake it.
  const continued = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => { if (chunk.toString().startsWith('HTTP/1.1 100')) { socket.off('data', onData); resolve() } }
    socket.on('data', onData)
  })
  socket.write(`POST /webhooks/clerk HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: ${body.length}\r\n\r\n`)
  await continued
  socket.write(body.slice(0, 10))
  gateway.child.kill('SIGTERM')
  await refusedAt(port)
  socket.write(body.slice(10) + 'GET /health/live HTTP/1.1\r\nhost: x\r\n\r\n')

  const text = await answers
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]))
  t.same(statuses, [100, 401, 503], 'the in-flight webhook is answered (unsigned: 401); the request after it is refused')
  t.match(text, /"code":"HG_ERR_SHUTTING_DOWN"/)
  t.match(text.slice(text.lastIndexOf('HTTP/1.1')), /connection: close/i, 'and the connection is closed after it')
  t.equal(await gateway.exited, 0, 'then the gateway exits cleanly')
})
