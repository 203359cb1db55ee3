import t from 'tap'
import { parseConfig } from '../../src/config/load.js'
import { JITTER, nextRunAt } from '../../src/outbox/backoff.js'

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0)
const S = 1000
const M = 60 * S
const H = 60 * M
const svix = { scheduleMs: [0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H] }
const middle = () => 0.5

t.test('follows the default schedule exactly when the jitter is pinned to the middle', async (t) => {
  const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => nextRunAt(NOW, attempt, svix, 0, middle)! - NOW)
  t.same(delays, [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H])
})

t.test('is dead (null) after the last attempt of the schedule', async (t) => {
  t.equal(nextRunAt(NOW, 8, svix, 0, middle), null)
  t.equal(nextRunAt(NOW, 9, svix, 0, middle), null)
  t.equal(nextRunAt(NOW, 1, { scheduleMs: [0] }, 0, middle), null, 'a one-attempt schedule never retries')
})

t.test('spreads a delay by at most ±20% with the injected randomness', async (t) => {
  t.equal(JITTER, 0.2)
  t.equal(nextRunAt(NOW, 2, svix, 0, () => 0), NOW + 4 * M, 'random 0: 20% sooner')
  t.equal(nextRunAt(NOW, 2, svix, 0, () => 0.999999999), NOW + Math.round(5 * M * (1 + 0.2 * (2 * 0.999999999 - 1))), 'random near 1: almost 20% later')
  t.equal(nextRunAt(NOW, 2, svix, 0, () => 0.75), NOW + 5.5 * M)
})

t.test('honours Retry-After as a floor on the delay', async (t) => {
  t.equal(nextRunAt(NOW, 1, svix, 60 * S, middle), NOW + 60 * S, 'longer than the 5 s step: waits the 60 s asked')
  t.equal(nextRunAt(NOW, 2, svix, 60 * S, middle), NOW + 5 * M, 'shorter than the 5 min step: keeps the schedule')
})

t.test('clamps Retry-After to the largest delay of the schedule', async (t) => {
  t.equal(nextRunAt(NOW, 1, svix, 7 * 24 * H, middle), NOW + 10 * H)
  t.equal(nextRunAt(NOW, 1, { scheduleMs: [0, 1 * S, 2 * S] }, 1 * H, middle), NOW + 2 * S)
})

t.test('does not let Retry-After revive a delivery past its last attempt', async (t) => {
  t.equal(nextRunAt(NOW, 8, svix, 30 * S, middle), null)
})

t.test('follows an exponential policy as the config loader expands it', async (t) => {
  const config = parseConfig({ destinations: { d: { url: 'http://127.0.0.1:1/', retry: { maxAttempts: 5, initialDelay: '1s', maxDelay: '4s' } } } }, {})
  const policy = config.destinations.d!.retry
  t.same([1, 2, 3, 4, 5].map((a) => nextRunAt(NOW, a, policy, 0, middle)), [NOW + 1 * S, NOW + 2 * S, NOW + 4 * S, NOW + 4 * S, null])
})
