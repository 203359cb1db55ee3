// `npx tsx bench/console-pages.ts [events]`: the console's pages against a
// database of 100,000 events (by default) received over the last day, with
// their deliveries delivered, dead and pending, and 5,000 rejections. Each
// page is rendered 30 times through app.inject (no socket: the figure is
// the gateway's own time) and its median, p95 and worst are printed.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { parseConfig } from '../src/config/load.js'
import { newEventId } from '../src/ids.js'
import { sampleEvent } from '../providers/samples.js'

const EVENTS = Number(process.argv[2] ?? 100_000)
const REJECTIONS = 5_000
const RUNS = 30
const DAY = 86_400_000
const TOKEN = 'bench-console-token-0123456789'
const TYPES = ['user.created', 'user.updated', 'session.created', 'session.ended', 'user.deleted', 'organization.created']

const dir = mkdtempSync(join(tmpdir(), 'hookgate-console-bench-'))
const config = parseConfig({
  sources: { clerk: { provider: 'clerk', secret: 'whsec_' + 'Q'.repeat(32) }, chaindoc: { provider: 'chaindoc', secret: 'bench-secret-0123456789abcdef' } },
  destinations: { billing: { url: 'http://127.0.0.1:9/billing' }, crm: { url: 'http://127.0.0.1:9/crm', events: ['user.*'] } },
  admin: { token: TOKEN },
  logging: { level: 'warn' },
  server: { host: '127.0.0.1', port: 0 },
  storage: { path: join(dir, 'hookgate.db') }
}, {})
const app = await buildApp(config)
const { store } = app.hookgate
const now = Date.now()
const log = (line: string) => process.stderr.write(line + '\n')

log(`seeding ${EVENTS} events over the last day …`)
const seedStarted = performance.now()
const body = new TextEncoder().encode(sampleEvent('clerk', 'user.created', now))
let middleId = ''
let middleKey = ''
let settled = 0
// In time order, a chunk at a time, as the gateway would have lived the day: each chunk's deliveries
// are attempted a second after it arrived (billing answers, crm refuses); the last minute's still wait.
for (let from = 0; from < EVENTS; from += 2000) {
  const writes: Array<Promise<unknown>> = []
  let last = 0
  for (let i = from; i < Math.min(EVENTS, from + 2000); i++) {
    const receivedAt = last = now - DAY + Math.floor((i / EVENTS) * DAY)
    const type = TYPES[i % TYPES.length]!
    const id = newEventId(receivedAt)
    if (i === Math.floor(EVENTS / 2)) { middleId = id; middleKey = `msg_${i}` }
    const source = i % 10 === 0 ? 'chaindoc' : 'clerk'
    writes.push(store.recordEvent({
      event: { id, source, provider: source, dedupKey: `msg_${i}`, type, subject: `user_${i % 5000}`, occurredAt: null, receivedAt, headers: '{"svix-id":"msg"}', body },
      destinations: type.startsWith('user.') ? ['billing', 'crm'] : ['billing']
    }))
  }
  await Promise.all(writes)
  const at = last + 1000
  if (at > now - 60_000) continue
  for (;;) {
    const { claimed } = await store.claimDeliveries({ now: at, owner: 'bench', slots: { billing: 5000, crm: 5000 }, limit: 10_000 })
    if (claimed.length === 0) break
    await store.settleDeliveries({
      now: at,
      settlements: claimed.map((d) => d.destination === 'billing'
        ? { id: d.id, attempt: d.attempt, startedAt: at, durationMs: 12, result: 'delivered' as const, statusCode: 200, error: null, response: 'ok' }
        : { id: d.id, attempt: d.attempt, startedAt: at, durationMs: 30, result: 'dead' as const, statusCode: 422, error: 'HTTP 422', response: '{"error":"customer_id is required"}' })
    })
    settled += claimed.length
  }
}
for (let i = 0; i < REJECTIONS; i++) {
  await store.recordRejection({
    rejection: { receivedAt: now - DAY + Math.floor((i / REJECTIONS) * DAY), source: 'clerk', reason: 'HG_ERR_SIGNATURE_INVALID', statusCode: 401, message: 'No matching signature', remoteAddr: '203.0.113.7', headers: '{"svix-id":"msg_x"}', body: new TextEncoder().encode('{"type":"user.created"}'), bodyBytes: 23 },
    maxRows: config.storage.rejectionMaxRows,
    maxBytes: config.storage.rejectionMaxBytes
  })
}
log(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s (${settled} deliveries settled)`)

const host = 'bench.test'
const signIn = await app.inject({ method: 'POST', url: '/ui/login', headers: { host, origin: `http://${host}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${TOKEN}` })
const cookie = String(signIn.headers['set-cookie']).split(';')[0]!
const deadRow = (await store.listDeliveries({ status: 'dead', limit: 1 })).items[0]!

const pages: Array<[string, string]> = [
  ['overview', '/ui/'],
  ['events, newest', '/ui/events'],
  ['events, older page', `/ui/events?cursor=${middleId}`],
  ['events, source + status', '/ui/events?source=chaindoc&status=delivered'],
  ['events, status dead', '/ui/events?status=dead'],
  ['events, type glob', '/ui/events?type=session.*'],
  ['events, rare type glob', '/ui/events?type=organization.*'],
  ['events, time range', `/ui/events?since=${new Date(now - 3 * 3600_000).toISOString().slice(0, 16)}&until=${new Date(now - 2 * 3600_000).toISOString().slice(0, 16)}`],
  ['events, dedup key', `/ui/events?q=${middleKey}`],
  ['events, event id', `/ui/events?q=${middleId}`],
  ['event detail', `/ui/events/${deadRow.event_id}`],
  ['dead letters', '/ui/dead'],
  ['dead letters, one destination', '/ui/dead?destination=crm'],
  ['dead letters, dry-run count', '/ui/dead?destination=crm&preview=1'],
  ['rejections', '/ui/rejections'],
  ['destinations', '/ui/destinations']
]
// The first overview after a start counts the day's closed hours (kept from then on): timed on its own.
const firstStarted = performance.now()
await app.inject({ url: '/ui/', headers: { host, cookie } })
const firstOverviewMs = performance.now() - firstStarted
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
console.log(`\nconsole pages, ${EVENTS} events, ${REJECTIONS} rejections; ${RUNS} runs each (ms)\n`)
console.log('| page | median | p95 | worst |')
console.log('| --- | ---: | ---: | ---: |')
for (const [name, url] of pages) {
  const times: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now()
    const res = await app.inject({ url, headers: { host, cookie } })
    times.push(performance.now() - started)
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`)
  }
  times.sort((a, b) => a - b)
  console.log(`| ${name} | ${quantile(times, 0.5).toFixed(1)} | ${quantile(times, 0.95).toFixed(1)} | ${times.at(-1)!.toFixed(1)} |`)
}
console.log(`\nthe first overview after a start (counts the day once): ${firstOverviewMs.toFixed(0)} ms`)
await app.close()
rmSync(dir, { recursive: true, force: true })
