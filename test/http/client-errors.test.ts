import t from 'tap'
import { connect } from 'node:net'
import { sampleEvent } from '../../providers/samples.js'
import { signClerk } from '../../providers/sign.js'
import { build, CLERK_SECRET } from '../helper.js'

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

t.test('cuts off a sender that dribbles its body within server.requestTimeoutMs, not at Node\'s 30 s sweep', async (t) => {
  const timeoutMs = 1000
  const { app } = await build(t, { config: { server: { host: '127.0.0.1', port: 0, requestTimeoutMs: timeoutMs } } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const started = Date.now()
  const answer = await new Promise<{ text: string, afterMs: number }>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('POST /webhooks/clerk HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{'))
    // One byte every 100 ms: always moving, never whole. Stops once the server has answered or closed.
    const dribble = setInterval(() => { if (!socket.destroyed) socket.write(' ') }, 100)
    const chunks: Buffer[] = []
    const giveUp = setTimeout(() => socket.destroy(new Error('not cut off within 15 s')), 15_000)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('close', () => { clearInterval(dribble); clearTimeout(giveUp); resolve({ text: Buffer.concat(chunks).toString(), afterMs: Date.now() - started }) })
    socket.on('error', (err) => { clearInterval(dribble); clearTimeout(giveUp); if (!/EPIPE|ECONNRESET/.test(String(err))) reject(err) })
  })
  t.match(answer.text, /^HTTP\/1\.1 408 /)
  t.match(answer.text, /"code":"HG_ERR_REQUEST_TIMEOUT"/)
  t.ok(answer.afterMs >= timeoutMs - 50, `not before the bound (${answer.afterMs} ms)`)
  // The bound plus one sweep (100 ms here) plus generous slack for a loaded machine; Node's default sweep made it up to 30 s.
  t.ok(answer.afterMs < timeoutMs + 1500, `cut off ${answer.afterMs} ms after it began, within ${timeoutMs} ms and one sweep`)
})

t.test('two svix-signature header lines are one list: bad-then-good and good-then-bad are both accepted, once', async (t) => {
  const { app, clock } = await build(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const bad = 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='
  const answers: string[] = []
  for (const [i, order] of ['bad-then-good', 'good-then-bad'].entries()) {
    const body = sampleEvent('clerk', 'user.created', clock.now())
    const headers = signClerk({ id: `msg_order_${i}`, timestampSec: Math.floor(clock.now() / 1000), body, secret: CLERK_SECRET })
    const good = headers['svix-signature']
    const signatures = order === 'bad-then-good' ? [bad, good] : [good, bad]
    answers.push(await rawExchange(port, `POST /webhooks/clerk HTTP/1.1\r\nHost: x\r\nConnection: close\r\ncontent-type: application/json\r\n` +
      `svix-id: ${headers['svix-id']}\r\nsvix-timestamp: ${headers['svix-timestamp']}\r\n` +
      signatures.map((v) => `svix-signature: ${v}\r\n`).join('') + `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`))
  }
  for (const [i, answer] of answers.entries()) {
    t.match(answer, /^HTTP\/1\.1 200 /, i === 0 ? 'bad then good' : 'good then bad')
    t.match(answer, /"duplicate":false/)
  }
})
