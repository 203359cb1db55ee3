import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { admin, buildAdmin } from '../fixtures/admin.js'
import { deliveries, ingest } from '../fixtures/events.js'
import { startReceiver } from '../fixtures/receiver.js'
import { TestClock } from '../helper.js'

const MINUTE = 60_000

t.test('shows per destination what is pending, dead, delivered in the last hour, the oldest wait and the last error', async (t) => {
  const ok = await startReceiver(t)
  const down = await startReceiver(t, () => ({ status: 503, body: 'maintenance' }))
  const refusing = await startReceiver(t, () => ({ status: 422, body: 'bad' }))
  const { app, clock } = await buildAdmin(t, { destinations: { ok: { url: ok.url }, down: { url: down.url }, refusing: { url: refusing.url } } })
  await ingest(app, 1)
  await ingest(app, 2)
  await app.hookgate.dispatcher.runOnce()
  clock.advance(30 * MINUTE)

  const { status, body } = await admin(app, 'GET', '/admin/destinations')
  t.equal(status, 200)
  const byName = Object.fromEntries(body.items.map((d: { name: string }) => [d.name, d]))
  t.same(Object.keys(byName).sort(), ['down', 'ok', 'refusing'])
  t.match(byName.ok, { configured: true, paused: false, pausedAt: null, pending: 0, dead: 0, deliveredLastHour: 2, oldestPendingAgeSeconds: null, lastError: null })
  t.match(byName.down, { pending: 2, dead: 0, deliveredLastHour: 0, oldestPendingAgeSeconds: 1800, lastError: { message: 'HTTP 503', status: 503, at: new Date(clock.now() - 30 * MINUTE).toISOString() } })
  t.match(byName.refusing, { pending: 0, dead: 2, lastError: { message: /422/, status: 422 } })

  clock.advance(31 * MINUTE)
  const later = (await admin(app, 'GET', '/admin/destinations')).body.items.find((d: { name: string }) => d.name === 'ok')
  t.equal(later.deliveredLastHour, 0, 'the hour has passed')
})

t.test('a paused destination keeps its deliveries pending, unattempted, until resumed', async (t) => {
  const receiver = await startReceiver(t)
  const { app, clock } = await buildAdmin(t, { destinations: { svc: { url: receiver.url } } })
  const paused = await admin(app, 'POST', '/admin/destinations/svc/pause')
  t.equal(paused.status, 200)
  t.match(paused.body, { name: 'svc', paused: true, pausedAt: new Date(clock.now()).toISOString() })

  await ingest(app, 1)
  clock.advance(24 * 60 * MINUTE) // a day: longer than the whole retry schedule
  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests.length, 0, 'nothing sent')
  t.match(await deliveries(app), [{ status: 'pending', attempts: 0 }], 'waiting, not failed')
  t.match((await admin(app, 'GET', '/admin/destinations')).body.items, [{ name: 'svc', paused: true, pending: 1, oldestPendingAgeSeconds: 86_400 }])

  const again = await admin(app, 'POST', '/admin/destinations/svc/pause')
  t.equal(again.body.pausedAt, paused.body.pausedAt, 'pausing twice keeps the first pause time')

  const resumed = await admin(app, 'POST', '/admin/destinations/svc/resume')
  t.match(resumed, { status: 200, body: { paused: false, pausedAt: null } })
  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests.length, 1)
  t.match(await deliveries(app), [{ status: 'delivered', attempts: 1 }])
})

t.test('a pause survives a restart; a destination dropped from the config still shows while it has deliveries', async (t) => {
  const receiver = await startReceiver(t)
  // Not t.testdir(): build() calls it again, which would empty it between the two runs.
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-restart-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const dbPath = join(dir, 'hookgate.db')
  const clock = new TestClock()
  const first = await buildAdmin(t, { dbPath, clock, destinations: { svc: { url: receiver.url }, old: { url: receiver.url } } })
  await admin(first.app, 'POST', '/admin/destinations/svc/pause')
  await admin(first.app, 'POST', '/admin/destinations/old/pause')
  await ingest(first.app, 1)
  await first.app.close()

  const second = await buildAdmin(t, { dbPath, clock, destinations: { svc: { url: receiver.url } } })
  await second.app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests.length, 0, 'still paused after the restart')
  const { body } = await admin(second.app, 'GET', '/admin/destinations')
  t.match(body.items, [
    { name: 'svc', configured: true, paused: true, pending: 1 },
    { name: 'old', configured: false, paused: true, pending: 1 }
  ])
})

t.test('refuses to pause or resume a destination that is not configured', async (t) => {
  const { app } = await buildAdmin(t)
  for (const action of ['pause', 'resume']) {
    t.match(await admin(app, 'POST', `/admin/destinations/nowhere/${action}`), {
      status: 404, body: { code: 'HG_ERR_DESTINATION_UNKNOWN', message: "No destination named 'nowhere' in the configuration" }
    })
  }
})
