// Ordered delivery per subject through the whole gateway: real webhooks in,
// a real receiver that checks each subject's order, the dispatcher driven by
// runOnce() on the test clock (and on PostgreSQL in npm test's second pass).
import t, { type Test } from 'tap'
import { build, TestClock } from '../helper.js'
import { deliveries, ingest } from '../fixtures/events.js'
import { startReceiver, type Answer, type Received } from '../fixtures/receiver.js'

const S = 1000
const EVENTS = 1000
const SUBJECTS = 50
/** The clock moves this much whenever nothing is due: retries come due at their time, at most one step late. */
const STEP = 5 * S

/** Whether the n-th event's first attempt fails: a fifth of them, "at random" but the same ones in every run (mulberry32 of n). */
function failsFirst (n: number): boolean {
  const seed = (n * 0x9E3779B1 + 0x6D2B79F5) | 0
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296 < 0.2
}

interface Run {
  /** Per subject, event ids in the order the gateway acknowledged them. */
  readonly sent: ReadonlyMap<string, string[]>
  /** Per subject, event ids in the order the receiver first answered them 2xx. */
  readonly delivered: ReadonlyMap<string, string[]>
  /** Per subject, the clock's time (from the first claim) when its last event was delivered. */
  readonly doneAt: ReadonlyMap<string, number>
  /** Deliveries of other subjects between the blocked head's first request and its success. */
  readonly flowedMeanwhile: number
  /** Times a request arrived while another of its subject was still unanswered. */
  readonly overlaps: number
}

/**
 * EVENTS webhooks over SUBJECTS subjects to an ordered destination; a fifth
 * of first attempts answered 500 at (seeded) random, and every attempt for
 * `blocked` answered 500 until `blockedUntil` on the clock. Drives the
 * dispatcher until all are delivered.
 */
async function orderedRun (t: Test, { blocked, headFailures = 0, randomFailures = true }: { blocked?: string, headFailures?: number, randomFailures?: boolean }): Promise<Run> {
  const clock = new TestClock()
  const numbered = new Map<string, number>()
  const seen = new Set<string>()
  const tries = new Map<string, number>()
  let blockedHead: string | undefined
  let requests = 0
  let heldFrom: number | undefined
  let heldUntil: number | undefined
  let flowedMeanwhile = 0
  let startedAt = 0
  const unanswered = new Map<string, number>()
  let overlaps = 0
  const delivered = new Map<string, string[]>()
  const doneAt = new Map<string, number>()
  const script = (request: Received): Answer => {
    const event = JSON.parse(request.body.toString()) as { id: string, subject: string }
    const first = !seen.has(event.id)
    seen.add(event.id)
    if ((unanswered.get(event.subject) ?? 0) > 0) overlaps++
    unanswered.set(event.subject, (unanswered.get(event.subject) ?? 0) + 1)
    request.headers['x-subject'] = event.subject
    if (event.subject === blocked) blockedHead ??= event.id
    tries.set(event.id, (tries.get(event.id) ?? 0) + 1)
    const failing = (event.id === blockedHead && tries.get(event.id)! <= headFailures) || (randomFailures && first && failsFirst(numbered.get(event.id)!))
    requests++
    if (event.id === blockedHead) heldFrom ??= requests
    if (!failing) {
      delivered.set(event.subject, [...(delivered.get(event.subject) ?? []), event.id])
      doneAt.set(event.subject, clock.now() - startedAt)
      if (event.id === blockedHead) heldUntil = requests
      else if (heldFrom !== undefined && heldUntil === undefined) flowedMeanwhile++
    }
    return { status: failing ? 500 : 200 }
  }
  const receiver = await startReceiver(t, (request) => {
    const answer = script(request)
    // Counted as answered once the answer is written: the next request of its subject may follow.
    setImmediate(() => { const s = String(request.headers['x-subject']); unanswered.set(s, unanswered.get(s)! - 1) })
    return answer
  })
  const { app } = await build(t, {
    clock,
    config: { destinations: { hooks: { url: receiver.url, ordering: 'subject', concurrency: 10, retry: { schedule: ['0s', '5s', '1m', '5m', '10m', '30m', '1h'] } } } }
  })
  const sent = new Map<string, string[]>()
  for (let n = 0; n < EVENTS; n++) {
    const subject = `user_${n % SUBJECTS}`
    const id = await ingest(app, n, n % 2 === 0 ? 'user.created' : 'user.updated', subject)
    numbered.set(id, n)
    sent.set(subject, [...(sent.get(subject) ?? []), id])
    clock.advance(10) // received over 10 s: a retry made due now sorts after the events received before it

  }
  startedAt = clock.now()
  for (let rounds = 0; [...delivered.values()].reduce((n, ids) => n + ids.length, 0) < EVENTS; rounds++) {
    if (rounds > 5000) throw new Error(`not all delivered after 5000 rounds: ${JSON.stringify((await deliveries(app)).filter((d) => d.status !== 'delivered').slice(0, 3))} at ${clock.now() - startedAt}`)
    const { claimed } = await app.hookgate.dispatcher.runOnce()
    if (claimed === 0) clock.advance(STEP)
  }
  t.equal((await deliveries(app)).filter((d) => d.status !== 'delivered').length, 0, 'every delivery settled as delivered')
  return { sent, delivered, doneAt, overlaps, flowedMeanwhile }
}

function holdsOrder (t: Test, run: Run): void {
  const broken = [...run.sent].filter(([subject, ids]) => JSON.stringify(run.delivered.get(subject)) !== JSON.stringify(ids))
  t.same(broken.map(([subject]) => subject), [], `each of ${SUBJECTS} subjects received in the order sent (${EVENTS} events)`)
  t.equal(run.overlaps, 0, 'never two requests of one subject at the receiver at once')
}

t.test(`${EVENTS} events over ${SUBJECTS} subjects, a fifth of first attempts failing: all delivered, each subject in order`, async (t) => {
  holdsOrder(t, await orderedRun(t, {}))
})

t.test('a subject whose head keeps failing holds only itself: every other subject is delivered as early as without it', async (t) => {
  // No other failures here: the head fails alone, so it keeps its retry schedule (an answer
  // to another event right after one failure does not hasten it) and holds its subject for
  // 5 s + 1 min + 5 min + 10 min + 30 min of clock.
  const baseline = await orderedRun(t, { randomFailures: false })
  const blocked = 'user_7'
  const run = await orderedRun(t, { blocked, headFailures: 5, randomFailures: false })
  holdsOrder(t, run)
  // All but the few sent before the head's first request (within the first window of 10).
  t.ok(run.flowedMeanwhile >= EVENTS - EVENTS / SUBJECTS - 10, `${run.flowedMeanwhile} events of the other subjects delivered while ${blocked} was held`)
  const healthy = [...run.sent.keys()].filter((s) => s !== blocked)
  const late = healthy.filter((s) => run.doneAt.get(s)! > baseline.doneAt.get(s)!)
  t.same(late, [], 'no other subject finished later on the clock than with nothing held')
  t.ok(run.doneAt.get(blocked)! >= (5 + 60 + 300 + 600 + 1800) * S, `${blocked} done at ${run.doneAt.get(blocked)! / S} s on the clock, after its five failed attempts; the others by ${Math.max(...healthy.map((s) => run.doneAt.get(s)!)) / S} s`)
})
