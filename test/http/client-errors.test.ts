import t from 'tap'
import { connect } from 'node:net'
import { build } from '../helper.js'

/** What a raw socket gets back for bytes Node's HTTP parser refuses. */
async function rawExchange (port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes))
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()))
    socket.on('error', reject)
  })
}

t.test('answers requests the HTTP parser refuses with a coded JSON body, and logs no request bytes', async (t) => {
  const { app, logs } = await build(t, { config: { logging: { level: 'trace' } } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const secret = 'Bearer do-not-log-this-admin-token-123'

  const malformed = await rawExchange(port, `POST /webhooks/clerk HTTP/1.1\r\nHost: x\r\nAuthorization: ${secret}\r\nX-Bad: a\u0001b\r\nContent-Length: 0\r\n\r\n`)
  t.match(malformed, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.match(malformed, /"code":"HG_ERR_BAD_REQUEST"/)

  const huge = await rawExchange(port, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
  t.match(huge, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
  t.match(huge, /"code":"HG_ERR_HEADERS_TOO_LARGE"/)

  t.notOk(logs.join('').includes('do-not-log-this'), 'the refused request bytes are not logged')
})
