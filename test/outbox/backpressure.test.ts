/**
 * When the one core cannot both accept and forward, ingest yields: a new
 * event whose destination's window is full waits for a place, but only while
 * that destination's receiver is brisk (answering, fast, lately), and never
 * longer than BACKPRESSURE_MAX_WAIT_MS. A failing, slow or silent receiver
 * never holds ingest back.
 */
import t, { type Test } from 'tap'
import { setImmediate as turn } from 'node:timers/promises'
import { Backpressure, BACKPRESSURE_MAX_WAIT_MS, BRISK_ANSWER_MS } from '../../src/outbox/backpressure.js'
import { build, TestClock } from '../helper.js'
import { ingest } from '../fixtures/events.js'
import { startReceiver, type Answer } from '../fixtures/receiver.js'

t.test('a receiver is brisk only while it answers, fast, and lately', async (t) => {
  const clock = new TestClock()
  const pressure = new Backpressure(clock)
  t.notOk(pressure.brisk('hooks'), 'not before it has answered at all')
  pressure.exchanged('hooks', true, 2)
  t.ok(pressure.brisk('hooks'), 'a fast answer just now')
  clock.advance(BRISK_ANSWER_MS + 1)
  t.notOk(pressure.brisk('hooks'), 'silent for longer than a brisk answer takes: it may hang')
  pressure.exchanged('hooks', false, 1)
  t.notOk(pressure.brisk('hooks'), 'a failure, however fast (connection refused)')
  for (let i = 0; i < 20; i++) pressure.exchanged('hooks', true, 5 * BRISK_ANSWER_MS)
  t.notOk(pressure.brisk('hooks'), 'answers, but slow ones')
  t.notOk(pressure.brisk('other'), 'per destination')
})

t.test('places go to waiting ingest oldest first; a wait ends unplaced once the receiver is no longer brisk, or after the longest wait', async (t) => {
  const clock = new TestClock()
  const pressure = new Backpressure(clock)
  pressure.exchanged('hooks', true, 1)
  const first = pressure.wait('hooks')
  clock.advance(10)
  const second = pressure.wait('hooks')
  t.equal(pressure.waiting, 2)
  let room = 1
  pressure.exchanged('hooks', true, 1) // the answer that freed a place
  pressure.grant('hooks', () => room-- > 0)
  t.equal(await first, true, 'the older one got the place')
  t.equal(pressure.waiting, 1)
  clock.advance(BRISK_ANSWER_MS)
  t.equal(pressure.waiting, 1, 'still waiting while the receiver answered lately')
  clock.advance(BRISK_ANSWER_MS)
  t.equal(await second, false, 'the receiver went quiet: the other gave up waiting')
  t.equal(pressure.waiting, 0)
  let waited = pressure.wait('hooks')
  for (let at = 0; at < BACKPRESSURE_MAX_WAIT_MS; at += BRISK_ANSWER_MS) {
    pressure.exchanged('hooks', true, 1) // brisk throughout, yet no place frees
    clock.advance(BRISK_ANSWER_MS)
  }
  t.equal(await waited, false, 'a brisk receiver holds ingest no longer than the longest wait')
  waited = pressure.wait('hooks')
  pressure.releaseAll()
  t.equal(await waited, false, 'a stop ends every wait')
})

/** Concurrency 1 (a window of two): a first event answered at once, so the receiver is brisk; then `rest`. */
async function gateway (t: Test, rest: Answer[]) {
  const receiver = await startReceiver(t, [{ status: 200 }, ...rest])
  const { app, clock } = await build(t, { startDispatcher: true, config: { destinations: { hooks: { url: receiver.url, concurrency: 1 } } } })
  const dispatcher = app.hookgate.dispatcher
  await dispatcher.idle()
  await ingest(app, 1)
  await dispatcher.idle()
  return { app, clock, receiver, dispatcher }
}

/** Events 2 (sending, held) and 3 (waiting for the slot) fill the window; event 4 is sent once ingest waits for a place. */
async function fourthWaiting ({ app, receiver, dispatcher }: Awaited<ReturnType<typeof gateway>>): Promise<{ fourth: Promise<string> }> {
  await ingest(app, 2)
  await receiver.received(2)
  await ingest(app, 3)
  const fourth = ingest(app, 4)
  while (dispatcher.ingestWaiting < 1) await turn() // event-loop turns, no timer
  return { fourth }
}

/** Answers 2, 3 and 4 in turn, then waits for their settles. */
async function answerAll ({ receiver, dispatcher }: Awaited<ReturnType<typeof gateway>>): Promise<void> {
  for (const n of [2, 3, 4]) {
    await receiver.received(n)
    receiver.release()
  }
  await dispatcher.idle()
}

t.test('with a brisk receiver\'s window full, ingest waits for a place and its delivery is still handed off, not claimed', async (t) => {
  const gw = await gateway(t, ['hold', 'hold', 'hold'])
  let answered = false
  const fourth = (await fourthWaiting(gw)).fourth.then(() => { answered = true })
  t.notOk(answered, 'the sender has no answer yet: it sees the backlog as latency')
  gw.receiver.release() // 2 is answered: 3 takes the slot, 4 its place in the window
  await fourth
  t.equal(gw.dispatcher.ingestWaiting, 0)
  await answerAll(gw)
  t.same(gw.dispatcher.leasedSoFar(), { byClaim: 0, byHandoff: 4 }, 'every delivery leased by its insert')
})

t.test('a wait ends when the receiver stops answering: the event is stored unleased and answered', async (t) => {
  const gw = await gateway(t, ['hold', 'hold', 'hold'])
  const { fourth } = await fourthWaiting(gw)
  gw.clock.advance(2 * BRISK_ANSWER_MS)
  await fourth
  t.equal(gw.dispatcher.ingestWaiting, 0)
  await answerAll(gw)
  t.same(gw.dispatcher.leasedSoFar(), { byClaim: 1, byHandoff: 3 }, 'the one that gave up waiting was claimed')
})

t.test('a failing receiver never makes ingest wait, however full its window', async (t) => {
  const { app, receiver, dispatcher } = await gateway(t, [{ status: 503 }, 'hold'])
  await ingest(app, 2) // 503: a failure, retried later
  await dispatcher.idle()
  await ingest(app, 3) // sending, held
  await receiver.received(3)
  await ingest(app, 4) // waiting for the slot
  await ingest(app, 5) // window full: stored unleased at once
  t.equal(dispatcher.ingestWaiting, 0)
  receiver.release()
})

t.test('a receiver gone silent never makes ingest wait', async (t) => {
  const { app, clock, receiver, dispatcher } = await gateway(t, ['hold'])
  await ingest(app, 2) // sending; no answer comes (until the end)
  await receiver.received(2)
  await ingest(app, 3)
  clock.advance(BRISK_ANSWER_MS + 1)
  await ingest(app, 4) // window full, but nothing answered lately: not held back
  t.equal(dispatcher.ingestWaiting, 0)
  receiver.release()
})
