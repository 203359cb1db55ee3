import { test } from 'tap'
import { newEventId } from '../src/ids.js'

test('event ids: time-sortable prefix, 80 random bits, never repeated across pool refills', async (t) => {
  const now = Date.UTC(2026, 10, 23)
  const ids = Array.from({ length: 5000 }, (_, i) => newEventId(now + Math.floor(i / 10)))
  t.equal(new Set(ids).size, ids.length, 'all distinct')
  t.ok(ids.every((id) => /^evt_[0-9a-z]{9}[A-Za-z0-9_-]{14}$/.test(id)), 'evt_ + 9 base-36 time digits + 14 base64url chars (10 bytes)')
  const prefixes = ids.map((id) => id.slice(0, 13))
  t.same(prefixes, [...prefixes].sort(), 'the time part sorts with the clock')
  t.equal(ids[0]?.slice(4, 13), now.toString(36).padStart(9, '0'))
  const randomParts = new Set(ids.map((id) => id.slice(13)))
  t.equal(randomParts.size, ids.length, 'the random part alone never repeats (the pool is refilled, not reused)')
})
