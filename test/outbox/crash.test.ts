import t from 'tap'
import { join } from 'node:path'
import { request } from 'undici'
import { signClerk } from '../../providers/sign.js'
import { openDatabase } from '../../src/db/sqlite/open.js'
import { startChildGateway, writeConfig } from '../child-gateway.js'
import { CLERK_SECRET, sqliteOnly } from '../helper.js'
import { startReceiver } from '../fixtures/receiver.js'

const EVENTS = 20
const CONCURRENCY = 5

async function send (url: string, n: number): Promise<string> {
  const body = JSON.stringify({ data: { id: `user_${n}` }, object: 'event', timestamp: Date.now(), type: 'user.created' })
  const headers = signClerk({ id: `msg_crash_${n}`, timestampSec: Math.floor(Date.now() / 1000), body, secret: CLERK_SECRET })
  const res = await request(`${url}/webhooks/clerk`, { method: 'POST', headers, body })
  if (res.statusCode !== 200) throw new Error(`ingest answered ${res.statusCode}`)
  return ((await res.body.json()) as { id: string }).id
}

t.test('every acknowledged event arrives at least once across a SIGKILL mid-delivery', async (t) => {
  if (sqliteOnly(t)) return
  const dir = t.testdir()
  const dbPath = join(dir, 'hookgate.db')
  let slow = true
  // While slow, the receiver holds every request: the gateway is killed with them in flight.
  const receiver = await startReceiver(t, () => slow ? 'hang' : { status: 200 })
  const config = writeConfig(dir, {
    server: { host: '127.0.0.1', port: 0 },
    storage: { path: dbPath },
    sources: { clerk: { provider: 'clerk', secret: CLERK_SECRET } },
    destinations: { hooks: { url: receiver.url, timeoutMs: 60_000, concurrency: CONCURRENCY } },
    delivery: { pollIntervalMs: 100 }
  })

  const first = await startChildGateway(config)
  t.teardown(() => { first.child.kill('SIGKILL') })
  const acked: string[] = []
  for (let i = 0; i < EVENTS; i++) acked.push(await send(first.url, i))
  await receiver.received(CONCURRENCY)
  const held = receiver.requests.length
  t.equal(held, CONCURRENCY, 'the receiver holds one request per slot, and no more are sent')
  first.child.kill('SIGKILL')
  t.equal(await first.exited, 'SIGKILL')

  slow = false
  const second = await startChildGateway(config)
  t.teardown(() => { second.child.kill('SIGKILL') })
  await receiver.received(held + EVENTS)
  const ids = receiver.requests.map((r) => JSON.parse(r.body.toString()).id as string)
  const answered = new Set(ids.slice(held))
  t.same(acked.filter((id) => !answered.has(id)), [], 'every acknowledged event was delivered after the restart')
  const duplicates = ids.length - new Set(ids).size
  t.comment(`${ids.length} requests for ${acked.length} events: ${duplicates} duplicate(s), the ones in flight at the kill`)
  t.equal(duplicates, held, 'only the requests in flight at the kill were sent twice')

  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0, 'SIGTERM exits 0')
  const db = openDatabase(dbPath, { readonly: true })
  t.teardown(() => db.close())
  t.same(db.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all(), [{ status: 'delivered', n: EVENTS }])
  t.same(db.prepare('SELECT status, count(*) AS n FROM events GROUP BY status').all(), [{ status: 'delivered', n: EVENTS }])
  // Each lease the kill left is on record: the attempts in flight, and the
  // deliveries claimed ahead to follow them (at most one more per slot).
  const noOutcome = (db.prepare("SELECT count(*) AS n FROM attempts WHERE error LIKE 'no outcome:%'").get() as { n: number }).n
  t.ok(noOutcome >= held && noOutcome <= 2 * held, `the leases the kill left are on record (${noOutcome})`)
})
