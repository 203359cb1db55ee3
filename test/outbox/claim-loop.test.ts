import t from 'tap'
import { setImmediate as turn } from 'node:timers/promises'
import { ClaimLoop } from '../../src/outbox/claim-loop.js'
import { TestClock } from '../helper.js'

const POLL_MS = 1000

/** A loop whose every due destination is full: no claim is worth making, and the last claim's next due time may lie in the past. */
function fullLoop (nextDueAt: (now: number) => number | null) {
  const clock = new TestClock()
  const delays: number[] = []
  const schedule = clock.schedule.bind(clock)
  clock.schedule = (fn, delayMs) => { delays.push(delayMs); return schedule(fn, delayMs) }
  let wakes = 0
  const loop = new ClaimLoop({
    clock,
    pollIntervalMs: POLL_MS,
    active: () => true,
    worthwhile: () => false,
    claim: async () => {},
    wakeTimes: (now) => [nextDueAt(now), null],
    woken: () => { wakes++ },
    log: () => {}
  })
  return { clock, loop, delays, wakes: () => wakes }
}

t.test('a next due time already past does not wake the loop at once while every destination is full', async (t) => {
  const { clock, loop, delays, wakes } = fullLoop((now) => now - 5)
  loop.pump()
  for (let i = 0; i < 20; i++) await turn() // a wake at 0 ms would have fired, and re-armed, on each turn
  t.equal(wakes(), 0, 'not woken before the poll')
  t.same(delays, [POLL_MS], 'one wake-up armed, at the poll interval')
  clock.advance(POLL_MS)
  t.equal(wakes(), 1, 'the poll still wakes it')
  await loop.stop()
})

t.test('a next due time still ahead wakes the loop then, not at the poll', async (t) => {
  const { clock, loop, delays, wakes } = fullLoop((now) => now + 250)
  loop.pump()
  t.same(delays, [250])
  clock.advance(250)
  t.equal(wakes(), 1)
  await loop.stop()
})

t.test('a retry scheduled in the past wakes the loop once, then it waits for the poll', async (t) => {
  const { clock, loop, delays, wakes } = fullLoop(() => null)
  loop.retryAt(clock.now() - 10)
  for (let i = 0; i < 20; i++) await turn()
  t.equal(wakes(), 1, 'woken once for the retry')
  t.same(delays, [0, POLL_MS], 'at once, then the poll interval')
  await loop.stop()
})
