// The writer thread dies under load: the batch it held is refused (503, the
// sender retries), everything acknowledged is in the file, the queue goes to
// a new thread and service resumes; a thread that keeps dying ends in
// onWriterFatal (`hookgate start` exits non-zero for its supervisor).
import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { sampleEvent } from '../../../providers/samples.js'
import { signClerk } from '../../../providers/sign.js'
import { buildApp } from '../../../src/app.js'
import { MAX_RESTARTS } from '../../../src/db/sqlite/writer.js'
import { build, CLERK_SECRET, sqlite, TestClock, testConfig } from '../../helper.js'

function send (app: FastifyInstance, clock: TestClock) {
  const id = `msg_${randomUUID()}`
  const body = sampleEvent('clerk', 'user.created', clock.now())
  const headers = signClerk({ id, timestampSec: Math.floor(clock.now() / 1000), body, secret: CLERK_SECRET })
  return app.inject({ method: 'POST', url: '/webhooks/clerk', headers, payload: body })
}

const storedIds = (app: FastifyInstance) => new Set(sqlite(app).db.prepare('SELECT id FROM events').pluck().all() as string[])

t.test('killed under load: nothing acknowledged is lost, refusals are 503, and the next webhooks are taken', async (t) => {
  const { app, clock, logs } = await build(t)
  const before = Array.from({ length: 100 }, () => send(app, clock))
  // While those batches are queued and committing.
  await new Promise((resolve) => setImmediate(resolve))
  const killed = sqlite(app).writer.kill()
  const during = Array.from({ length: 100 }, () => send(app, clock))
  await killed
  const answers = await Promise.all([...before, ...during])

  const acked = answers.filter((a) => a.statusCode === 200).map((a) => a.json().id as string)
  const refused = answers.filter((a) => a.statusCode === 503)
  t.equal(acked.length + refused.length, 200, 'every request answered 200 or 503')
  const stored = storedIds(app)
  t.same(acked.filter((id) => !stored.has(id)), [], 'lost 0: every acknowledged event is in the file')
  for (const answer of refused) t.equal(answer.json().code, 'HG_ERR_STORAGE_UNAVAILABLE')
  t.ok(acked.length > 0, 'the queue went to the new thread')

  const after = await send(app, clock)
  t.equal(after.statusCode, 200, 'service resumed')
  t.ok(storedIds(app).has(after.json().id))
  t.match(logs.join(''), 'the writer thread died and was restarted')
  t.match(logs.join(''), '"code":"HG_ERR_WRITER_EXITED"', 'with the code the README explains')
  t.equal(sqlite(app).writer.closed, false)
})

t.test(`a thread that dies more than ${MAX_RESTARTS} times in a minute ends in onWriterFatal, refusing with 503`, async (t) => {
  const fatal: Error[] = []
  const clock = new TestClock()
  const app = await buildApp(testConfig(t.testdir(), { logging: { level: 'silent' } }), { clock, onWriterFatal: (err) => fatal.push(err) })
  t.teardown(() => app.close())
  for (let i = 0; i < MAX_RESTARTS; i++) {
    await sqlite(app).writer.kill()
    t.equal((await send(app, clock)).statusCode, 200, `restart ${i + 1} took over`)
  }
  t.equal(fatal.length, 0)
  await sqlite(app).writer.kill()
  t.equal(fatal.length, 1, 'gave up')
  t.equal(sqlite(app).writer.closed, true)
  t.equal((await send(app, clock)).statusCode, 503)
})
