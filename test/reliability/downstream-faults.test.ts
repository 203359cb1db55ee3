/**
 * What a misbehaving receiver does to deliveries, with time driven by the
 * test clock and dispatcher.runOnce(): an hour of 500s, 429 with Retry-After,
 * hangs past the timeout, resets before and during the answer, 410 Gone, and
 * a receiver that is down and comes back. Each ends in the right state after
 * the right attempts, and no event is lost.
 */
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, sqlite, TestClock } from '../helper.js'
import { answerAfter, genuineClerk, SECRETS, startTestReceiver, summary, Transcript, type Behaviour, type TestReceiver } from './support.js'

const S = 1000
const M = 60 * S
const H = 60 * M

const transcript = new Transcript()
const totals = { scenarios: 0, events: 0, attempts: 0, delivered: 0, dead: 0, lost: 0, 'duplicates at receiver': 0 }

interface Setup {
  readonly app: FastifyInstance
  readonly clock: TestClock
  readonly receiver: TestReceiver
  readonly t0: number
}

/** A gateway (sources on this run's secrets) with one signed destination `hooks` pointing at the receiver. */
async function setup (t: Test, behave: Behaviour, destination: Record<string, unknown> = {}): Promise<Setup> {
  const clock = new TestClock(Date.now())
  const receiver = await startTestReceiver(t, behave)
  const { app, logs } = await build(t, {
    clock,
    config: {
      sources: { clerk: { provider: 'clerk', secret: SECRETS.clerk } },
      destinations: {
        hooks: { url: receiver.url, signingSecret: SECRETS.destinationSigning, headers: { authorization: SECRETS.destinationBearer }, ...destination }
      }
    }
  })
  t.teardown(() => { transcript.add(logs.join('')) })
  return { app, clock, receiver, t0: clock.now() }
}

async function ingest (app: FastifyInstance, clock: TestClock, count: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const request = genuineClerk(clock.now())
    const res = await app.inject({ method: 'POST', url: '/webhooks/clerk', headers: request.headers, payload: request.body })
    transcript.add(res.body)
    if (res.statusCode !== 200) throw new Error(`ingest answered ${res.statusCode}: ${res.body}`)
    ids.push(res.json<{ id: string }>().id)
  }
  return ids
}

interface DeliveryRow { event_id: string, status: string, attempts: number, last_status: number | null, last_error: string | null, run_at: number }
interface AttemptRow { event_id: string, attempt: number, started_at: number, status_code: number | null, error: string | null }

function deliveryRows (app: FastifyInstance): DeliveryRow[] {
  return sqlite(app).db.prepare('SELECT event_id, status, attempts, last_status, last_error, run_at FROM deliveries ORDER BY id').all() as DeliveryRow[]
}

function attemptRows (app: FastifyInstance, eventId: string): AttemptRow[] {
  return sqlite(app).db.prepare(`SELECT d.event_id, a.attempt, a.started_at, a.status_code, a.error FROM attempts a
    JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = ? ORDER BY a.id`).all(eventId) as AttemptRow[]
}

/** runOnce, then move the clock a step; until nothing is pending or the clock has gone `forMs`. Returns the steps taken. */
async function drive ({ app, clock }: Setup, stepMs: number, forMs: number, until: () => boolean = () => deliveryRows(app).every((d) => d.status !== 'pending')): Promise<number> {
  const end = clock.now() + forMs
  let steps = 0
  while (clock.now() <= end) {
    await app.hookgate.dispatcher.runOnce()
    steps++
    if (until()) break
    clock.advance(stepMs)
  }
  return steps
}

/** The end-of-scenario ledger: each event's final state, the receiver's view, and the totals line. */
function settle (t: Test, s: Setup, ids: readonly string[], expected: 'delivered' | 'dead') {
  const rows = deliveryRows(s.app)
  const counts = s.receiver.counts()
  t.same(rows.map((r) => r.status), ids.map(() => expected), `all ${ids.length} deliveries end ${expected}`)
  const lost = expected === 'delivered' ? ids.filter((id) => (counts.get(id) ?? 0) === 0) : []
  t.same(lost, [], 'the receiver got every delivered event at least once')
  totals.scenarios++
  totals.events += ids.length
  totals.attempts += rows.reduce((n, r) => n + r.attempts, 0)
  totals.delivered += rows.filter((r) => r.status === 'delivered').length
  totals.dead += rows.filter((r) => r.status === 'dead').length
  totals.lost += lost.length
  totals['duplicates at receiver'] += s.receiver.duplicates()
}

t.test('500 for an hour: attempts at 0, 5 s, 5 min and 30 min fail, the one at 2 h delivers', async (t) => {
  const failUntil = { at: 0 }
  const s = await setup(t, (_request, response, _index) => {
    response.writeHead(s.clock.now() < failUntil.at ? 500 : 200).end(s.clock.now() < failUntil.at ? 'down for maintenance' : 'ok')
  })
  failUntil.at = s.t0 + H
  const ids = await ingest(s.app, s.clock, 5)
  const steps = await drive(s, M, 4 * H)
  for (const id of ids) {
    const attempts = attemptRows(s.app, id)
    t.same(attempts.map((a) => a.status_code), [500, 500, 500, 500, 200], `${id}: four 500s, then 200`)
    t.ok(attempts.slice(0, 4).every((a) => a.started_at < s.t0 + H) && attempts[4]!.started_at >= s.t0 + 2 * H + 35 * M,
      'the failures fall inside the hour, the delivery on the 2 h step')
  }
  t.comment(`${steps} steps of a minute; delivered at ${((s.clock.now() - s.t0) / H).toFixed(2)} h`)
  settle(t, s, ids, 'delivered')
})

t.test('429 with Retry-After in seconds waits that long instead of the 5 s step', async (t) => {
  const s = await setup(t, (_request, response, index) => {
    if (index < 2) response.writeHead(429, { 'retry-after': '600' }).end('slow down')
    else response.writeHead(200).end('ok')
  })
  const [id] = await ingest(s.app, s.clock, 1)
  await drive(s, M, 2 * H)
  t.same(attemptRows(s.app, id!).map((a) => [a.status_code, a.started_at - s.t0]), [[429, 0], [429, 10 * M], [200, 20 * M]],
    'attempts at 0, 10 min and 20 min')
  settle(t, s, [id!], 'delivered')
})

t.test('429 with Retry-After as an HTTP date waits until that date', async (t) => {
  const s = await setup(t, (_request, response, index) => {
    if (index === 0) response.writeHead(429, { 'retry-after': new Date(s.clock.now() + 15 * M).toUTCString() }).end()
    else response.writeHead(200).end('ok')
  })
  const [id] = await ingest(s.app, s.clock, 1)
  await drive(s, M, H)
  const [first, second] = attemptRows(s.app, id!)
  t.equal(first?.status_code, 429)
  t.ok(second!.started_at - s.t0 >= 15 * M - S && second!.started_at - s.t0 <= 16 * M, `second attempt ${(second!.started_at - s.t0) / M} min later`)
  settle(t, s, [id!], 'delivered')
})

t.test('a Retry-After of a day is capped at the schedule\'s longest step (10 h)', async (t) => {
  const s = await setup(t, (_request, response, index) => {
    if (index === 0) response.writeHead(429, { 'retry-after': String(24 * 3600) }).end()
    else response.writeHead(200).end('ok')
  })
  const [id] = await ingest(s.app, s.clock, 1)
  await s.app.hookgate.dispatcher.runOnce()
  t.equal(deliveryRows(s.app)[0]!.run_at, s.t0 + 10 * H, 'due again in exactly 10 h')
  s.clock.advance(10 * H - 1)
  t.same(await s.app.hookgate.dispatcher.runOnce(), { claimed: 0, settled: 0 }, 'not a millisecond early')
  s.clock.advance(1)
  t.same(await s.app.hookgate.dispatcher.runOnce(), { claimed: 1, settled: 1 })
  settle(t, s, [id!], 'delivered')
})

t.test('a receiver that hangs past the timeout is abandoned and retried; the third attempt delivers', async (t) => {
  const s = await setup(t, (_request, response, index) => {
    if (index >= 2) response.writeHead(200).end('ok') // the first two never answer
    else response.on('close', () => {})
  }, { timeoutMs: 300 })
  const [id] = await ingest(s.app, s.clock, 1)
  await drive(s, M, H)
  const attempts = attemptRows(s.app, id!)
  t.match(attempts, [{ status_code: null, error: /^timeout/ }, { status_code: null, error: /^timeout/ }, { status_code: 200, error: null }])
  t.equal(s.receiver.counts().get(id!), 3, 'the receiver saw it three times')
  t.equal(s.receiver.duplicates(), 2, 'two of them duplicates: the gateway never heard the answer')
  settle(t, s, [id!], 'delivered')
})

t.test('a connection reset before the answer, and one in the middle of it, are retried', async (t) => {
  const s = await setup(t, (request, response, index) => {
    const socket = response.socket!
    if (index === 0) socket.resetAndDestroy()
    else if (index === 1) {
      // Headers and half the body, then RST: the status came, the answer did not.
      response.writeHead(200, { 'content-length': '100' })
      response.write('{"half":')
      setTimeout(() => socket.resetAndDestroy(), 50)
    } else response.writeHead(200).end(`ok ${request.eventId}`)
  })
  const [id] = await ingest(s.app, s.clock, 1)
  await drive(s, M, H)
  const attempts = attemptRows(s.app, id!)
  t.match(attempts, [{ status_code: null, error: /ECONNRESET|socket|closed/i }, { status_code: 200, error: /./ }, { status_code: 200, error: null }],
    'reset before: no status; reset mid-body: the 200 is recorded but not trusted; then delivered')
  settle(t, s, [id!], 'delivered')
})

t.test('410 Gone is final: dead after one attempt, never sent again', async (t) => {
  const s = await setup(t, answerAfter(0, 410))
  const ids = await ingest(s.app, s.clock, 3)
  await drive(s, H, 48 * H, () => false)
  t.equal(s.receiver.requests.length, 3, 'one request per event in two days')
  t.same(deliveryRows(s.app).map((d) => [d.status, d.attempts, d.last_status]), ids.map(() => ['dead', 1, 410]))
  const statuses = sqlite(s.app).db.prepare('SELECT status FROM events').pluck().all()
  t.same(statuses, ids.map(() => 'dead'), 'and so are their events')
  settle(t, s, ids, 'dead')
})

t.test('a receiver down for 45 minutes, then back: everything arrives, once', async (t) => {
  const s = await setup(t, answerAfter(0))
  await s.receiver.stop()
  const ids = await ingest(s.app, s.clock, 8)
  await drive(s, M, 45 * M, () => false)
  const failed = deliveryRows(s.app)
  t.ok(failed.every((d) => d.status === 'pending' && d.last_error !== null && /ECONNREFUSED/.test(d.last_error)), 'all pending, refused while down')
  const attemptsWhileDown = failed.reduce((n, d) => n + d.attempts, 0)
  t.ok(attemptsWhileDown <= ids.length * 4, `${attemptsWhileDown} attempts while down: no more than the schedule's first four each`)
  await s.receiver.restart()
  await drive(s, M, 6 * H)
  t.same([...s.receiver.counts().values()], ids.map(() => 1), 'each event arrived exactly once')
  settle(t, s, ids, 'delivered')
})

t.test('nothing the gateway logged or answered during downstream faults carries a secret', async (t) => {
  // The earlier tests' teardowns have added their logs by now.
  transcript.check(t, 'downstream-faults')
  summary('downstream-faults', { ...totals, crashes: 0 })
})
