import t, { type Test } from 'tap'
import { createServer } from 'node:net'
import { createPool, deliverHttp } from '../../src/destinations/http.js'
import { startReceiver, type Answer } from '../fixtures/receiver.js'

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0)

async function attempt (t: Test, answer: Answer, options: { timeoutMs?: number } = {}) {
  const receiver = await startReceiver(t, [answer])
  const pool = createPool(receiver.url, 2, options.timeoutMs ?? 2000)
  t.teardown(() => pool.destroy())
  const outcome = await deliverHttp({
    pool, path: new URL(receiver.url).pathname, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1}'),
    timeoutMs: options.timeoutMs ?? 2000, now: () => NOW
  })
  return { outcome, receiver }
}

t.test('a 2xx is a success, with the status and the answer kept', async (t) => {
  const { outcome, receiver } = await attempt(t, { status: 204 })
  t.same(outcome, { ok: true, status: 204, response: '' })
  t.equal(receiver.requests[0]?.method, 'POST')
  t.equal(receiver.requests[0]?.body.toString(), '{"a":1}')
})

t.test('500, 502, 503 and 408 are retried', async (t) => {
  for (const status of [500, 502, 503, 408]) {
    const { outcome } = await attempt(t, { status, body: 'down' })
    t.match(outcome, { ok: false, retry: true, status, reason: `HTTP ${status}`, response: 'down' }, String(status))
  }
})

t.test('429 is retried no sooner than Retry-After, in seconds or as a date', async (t) => {
  const seconds = await attempt(t, { status: 429, headers: { 'retry-after': '120' } })
  t.match(seconds.outcome, { ok: false, retry: true, status: 429, retryAfterMs: 120_000 })
  const date = await attempt(t, { status: 503, headers: { 'retry-after': new Date(NOW + 30_000).toUTCString() } })
  t.match(date.outcome, { ok: false, retry: true, status: 503, retryAfterMs: 30_000 })
})

t.test('410 Gone stops, and says why', async (t) => {
  const { outcome } = await attempt(t, { status: 410, body: 'unsubscribed' })
  t.match(outcome, { ok: false, retry: false, status: 410, reason: /410 Gone/, response: 'unsubscribed' })
})

t.test('other 4xx stop: 400, 401, 404, 413, 422', async (t) => {
  for (const status of [400, 401, 404, 413, 422]) {
    const { outcome } = await attempt(t, { status })
    t.match(outcome, { ok: false, retry: false, status, reason: `HTTP ${status}` }, String(status))
  }
})

t.test('a redirect is not followed and is retried as a failure', async (t) => {
  const { outcome, receiver } = await attempt(t, { status: 301, headers: { location: 'http://127.0.0.1:1/elsewhere' } })
  t.match(outcome, { ok: false, retry: true, status: 301, reason: /redirects are not followed/ })
  t.equal(receiver.requests.length, 1)
})

t.test('a receiver that hangs past the timeout is a retryable timeout', async (t) => {
  // The receiver never answers: only the attempt's own timeout can end it, and it says so.
  const { outcome } = await attempt(t, 'hang', { timeoutMs: 150 })
  t.match(outcome, { ok: false, retry: true, reason: /^timeout/ })
  t.notOk('status' in outcome)
})

t.test('a status sent but a body that never ends is a timeout too', async (t) => {
  const server = createServer((socket) => { socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial')) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()) }))
  const port = (server.address() as { port: number }).port
  const pool = createPool(`http://127.0.0.1:${port}`, 1, 150)
  t.teardown(() => pool.destroy())
  const outcome = await deliverHttp({ pool, path: '/', headers: {}, body: Buffer.from('{}'), timeoutMs: 150, now: () => NOW })
  t.match(outcome, { ok: false, retry: true, status: 200, reason: /timeout/ })
})

t.test('a reset connection is retried', async (t) => {
  const { outcome } = await attempt(t, 'reset')
  t.match(outcome, { ok: false, retry: true, reason: /ECONNRESET|UND_ERR_SOCKET|other side closed/ })
})

t.test('a refused connection is retried', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const pool = createPool(`http://127.0.0.1:${port}`, 1, 1000)
  t.teardown(() => pool.destroy())
  const outcome = await deliverHttp({ pool, path: '/', headers: {}, body: Buffer.from('{}'), timeoutMs: 1000, now: () => NOW })
  t.match(outcome, { ok: false, retry: true, reason: /ECONNREFUSED/ })
})

t.test('keeps only the first 1 KiB of a long answer', async (t) => {
  const { outcome } = await attempt(t, { status: 500, body: 'x'.repeat(1024) + 'TAIL' + 'y'.repeat(200_000) })
  t.equal((outcome as { response: string }).response, 'x'.repeat(1024))
})

t.test('an abort (graceful stop) ends the attempt as a retry', async (t) => {
  const controller = new AbortController()
  const receiver = await startReceiver(t, ['hang'])
  const pool = createPool(receiver.url, 1, 5000)
  t.teardown(() => pool.destroy())
  const sending = deliverHttp({ pool, path: '/hooks', headers: {}, body: Buffer.from('{}'), timeoutMs: 5000, now: () => NOW, signal: controller.signal })
  // Aborted while the receiver holds the request: the stop interrupts an exchange under way.
  await receiver.received(1)
  controller.abort(new Error('the gateway is stopping'))
  t.match(await sending, { ok: false, retry: true, reason: 'aborted: the gateway is stopping' })
})

t.test('a request the HTTP client refuses to send (a header with a newline) is final, not retried', async (t) => {
  const receiver = await startReceiver(t, [])
  const pool = createPool(receiver.url, 1, 1000)
  t.teardown(() => pool.destroy())
  const outcome = await deliverHttp({ pool, path: '/', headers: { 'x-bad': 'a\r\nb' }, body: Buffer.from('{}'), timeoutMs: 1000, now: () => NOW })
  t.match(outcome, { ok: false, retry: false, reason: /refused by the HTTP client/ })
  t.equal(receiver.requests.length, 0)
})
