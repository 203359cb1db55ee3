/**
 * Several real gateways (`hookgate start` child processes) on one real
 * PostgreSQL database: a SIGKILL of one under load, the same message sent to
 * different replicas, three replicas dispatching at once, a pause on one
 * and a resume on another, and the database stopped and started under load
 * (the server npm run test:reliability starts: no other PostgreSQL test runs
 * beside these). Each area prints its figures.
 */
import { randomInt } from 'node:crypto'
import t, { type Test } from 'tap'
import { Pool } from 'undici'
import pg from 'pg'
import { startChildGateway, type ChildGateway } from '../child-gateway.js'
import { freshDatabase, postgresMissing } from '../fixtures/postgres.js'
import { startServer, stopServer } from './postgres-server.js'
import {
  dbPathIn, gatewayConfigFile, genuineClerk, runLoad, SECRETS, sleep, startTestReceiver, summary, Transcript, waitFor, type Behaviour, type TestReceiver
} from './support.js'

/** Answers after 100–300 ms, so each replica always holds deliveries in flight. */
const slowReceiver: Behaviour = (_request, response) => {
  setTimeout(() => { if (!response.destroyed) response.writeHead(200).end('ok') }, 100 + randomInt(200))
}
const quickReceiver: Behaviour = (_request, response) => {
  setTimeout(() => { if (!response.destroyed) response.writeHead(200).end('ok') }, randomInt(20))
}
const DRAIN_TIMEOUT_MS = 90_000

async function query<R extends pg.QueryResultRow> (url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try { return (await client.query<R>(sql, values)).rows } finally { await client.end() }
}

/**
 * `count` replicas on a fresh database, one destination per receiver
 * behaviour given (named after its key), a pool of connections to each;
 * every process killed in teardown if still running.
 */
async function replicas (t: Test, count: number, receiving: Record<string, Behaviour>, concurrency = 8) {
  const dir = t.testdir()
  const url = await freshDatabase(t)
  const transcript = new Transcript()
  const receivers: Record<string, TestReceiver> = {}
  for (const [name, behave] of Object.entries(receiving)) receivers[name] = await startTestReceiver(t, behave)
  const configFile = gatewayConfigFile(dir, dbPathIn(dir), {
    admin: { token: SECRETS.adminToken },
    storage: { driver: 'postgres', url, poolSize: 8 },
    destinations: Object.fromEntries(Object.entries(receivers).map(([name, r]) => [name, { url: r.url, concurrency, timeoutMs: 5000 }])),
    delivery: { pollIntervalMs: 100 }
  })
  const gateways = await Promise.all(Array.from({ length: count }, () => startChildGateway(configFile)))
  t.teardown(() => { for (const g of gateways) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL') })
  const pools = gateways.map((g) => new Pool(g.url, { connections: 8 }))
  t.teardown(() => Promise.all(pools.map((p) => p.close().catch(() => {}))))
  return { url, transcript, receivers, gateways, pools }
}

/**
 * Webhooks on every pool, `concurrency` at a time each, until `stop()` (which
 * answers what each load did) or `maxPerPool` were tried on each: bounded in
 * count so the backlog left for the survivor to drain does not grow with the
 * machine's ingest speed (CI ingested 10,028 in the takeover window, more than
 * one slow receiver takes in the drain timeout).
 */
function steadyLoad (pools: readonly Pool[], transcript: Transcript, concurrency = 4, maxPerPool = 100_000) {
  let stop!: () => void
  const stopped = new Promise<void>((resolve) => { stop = resolve })
  const loads = pools.map((pool) => runLoad(pool, { concurrency, maxRequests: maxPerPool, stop: stopped, transcript }))
  return { stop: async () => { stop(); return await Promise.all(loads) } }
}

/** SIGTERM to every replica still running: each must stop cleanly; then no secret in anything they said. */
async function stopAll (t: Test, area: string, gateways: readonly ChildGateway[], transcript: Transcript): Promise<void> {
  const running = gateways.filter((g) => g.child.exitCode === null && g.child.signalCode === null)
  for (const g of running) g.child.kill('SIGTERM')
  for (const g of running) t.equal(await g.exited, 0, 'stops cleanly')
  for (const g of gateways) transcript.add(g.output.join(''))
  transcript.check(t, area)
}

async function drained (receivers: readonly TestReceiver[], ids: readonly string[]): Promise<boolean> {
  return await waitFor(() => receivers.every((r) => { const counts = r.counts(); return ids.every((id) => counts.has(id)) }), DRAIN_TIMEOUT_MS, 100)
}

const missing = postgresMissing()
if (missing !== null) t.plan(0, missing)
else {
  t.test('kill -9 one of two replicas under load: nothing acknowledged is lost, and the survivor takes over its deliveries within 30 s', async (t) => {
    const arrivals = new Map<string, number[]>()
    const arrive: Behaviour = (request, response, index) => {
      arrivals.set(request.eventId, [...(arrivals.get(request.eventId) ?? []), Date.now()])
      slowReceiver(request, response, index)
    }
    const { url, transcript, receivers: { hooks: receiver }, gateways: [a, b], pools } = await replicas(t, 2, { hooks: arrive }, 16)
    // 1,500 per replica: the survivor alone (16 in flight, 100–300 ms each,
    // about 80 a second) drains all 3,000 well inside DRAIN_TIMEOUT_MS.
    const load = steadyLoad(pools, transcript, 8, 1500)
    const leasedTo = async (owner: string) => (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM deliveries WHERE locked_by = $1', [owner]))[0]!.n
    t.ok(await waitFor(async () => (await query(url, 'SELECT owner FROM replicas')).length === 2, 10_000), 'both replicas beat')
    const owner = (await query<{ owner: string }>(url, 'SELECT owner FROM replicas')).map((r) => r.owner).find((o) => o.includes(`:${b!.child.pid}:`))!
    // Kill once B holds deliveries: some sending, some leased ahead.
    t.ok(await waitFor(async () => await leasedTo(owner) >= 8, 30_000, 20), 'B holds deliveries')
    await sleep(randomInt(500))
    b!.child.kill('SIGKILL')
    const killedAt = Date.now()
    const held = (await query<{ event_id: string }>(url, 'SELECT event_id FROM deliveries WHERE locked_by = $1', [owner])).map((r) => r.event_id)
    t.equal(await b!.exited, 'SIGKILL')

    const freed = await waitFor(async () => await leasedTo(owner) === 0, 60_000, 100)
    const takeoverMs = Date.now() - killedAt
    t.ok(freed, 'the survivor freed every lease the killed replica held')
    t.ok(takeoverMs <= 30_000, `taken over ${takeoverMs} ms after the kill`)
    const ids = (await load.stop()).flatMap((r) => [...r.acked.values()].map((x) => x.id))
    t.ok(await drained([receiver!], ids), 'the backlog drains on the survivor')
    const counts = receiver!.counts()
    const lost = ids.filter((id) => !counts.has(id))
    t.same(lost, [], `all ${ids.length} acknowledged events reached the receiver`)
    // When each delivery the killed replica held arrived again (or first) after the kill.
    const resentAfter = held.map((id) => (arrivals.get(id) ?? []).find((at) => at >= killedAt)).filter((at) => at !== undefined).map((at) => at - killedAt)
    await stopAll(t, 'replicas-kill', [a!, b!], transcript)
    summary('replicas-kill', {
      acknowledged: ids.length,
      delivered: ids.length - lost.length,
      lost: lost.length,
      'held by the killed replica': held.length,
      'leases freed after (ms)': takeoverMs,
      'last of them sent again after (ms)': resentAfter.length === 0 ? 'none' : Math.max(...resentAfter),
      'duplicates at receiver': receiver!.duplicates()
    })
  })

  t.test('the same message sent to three replicas at once is stored once, and every answer carries its id', async (t) => {
    const { url, transcript, receivers: { hooks: receiver }, gateways, pools } = await replicas(t, 3, { hooks: quickReceiver })
    const MESSAGES = 60
    const answers: Array<Array<{ status: number, id?: string }>> = []
    for (let i = 0; i < MESSAGES; i += 8) {
      const batch = Array.from({ length: Math.min(8, MESSAGES - i) }, () => genuineClerk())
      answers.push(...await Promise.all(batch.map((request) => Promise.all(pools.map(async (pool) => {
        const res = await pool.request({ path: '/webhooks/clerk', method: 'POST', headers: request.headers, body: request.body })
        const text = await res.body.text()
        transcript.add(text)
        return { status: res.statusCode, ...(res.statusCode === 200 ? JSON.parse(text) as { id: string } : {}) }
      })))))
    }
    const split = answers.filter((three) => three.some((x) => x.status !== 200) || new Set(three.map((x) => x.id)).size !== 1)
    t.same(split, [], 'three 200s with one id for every message')
    const stored = (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM events'))[0]!.n
    t.equal(stored, MESSAGES, 'stored once each')
    t.ok(await drained([receiver!], answers.map((three) => three[0]!.id!)))
    t.equal(receiver!.duplicates(), 0, 'and delivered once each')
    await stopAll(t, 'replicas-dedup', gateways, transcript)
    summary('replicas-dedup', { messages: MESSAGES, 'requests (each to 3 replicas)': MESSAGES * 3, 'events stored': stored, 'answers with another id': split.length, 'duplicates at receiver': receiver!.duplicates() })
  })

  t.test('three replicas dispatching: each event reaches each destination once', async (t) => {
    const { url, transcript, receivers, gateways, pools } = await replicas(t, 3, { one: quickReceiver, two: quickReceiver })
    const results = await Promise.all(pools.map((pool) => runLoad(pool, { concurrency: 8, maxRequests: 150, stop: new Promise(() => {}), transcript })))
    const ids = results.flatMap((r) => [...r.acked.values()].map((x) => x.id))
    t.equal(ids.length, 450, 'every webhook acknowledged')
    const both = Object.values(receivers)
    t.ok(await drained(both, ids), 'every event reached both destinations')
    for (const [name, r] of Object.entries(receivers)) {
      t.equal(r.requests.length, ids.length, `${name}: one request per event`)
      t.equal(r.duplicates(), 0)
    }
    const failed = (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM attempts WHERE status_code IS DISTINCT FROM 200'))[0]!.n
    await stopAll(t, 'replicas-once', gateways, transcript)
    summary('replicas-once', { events: ids.length, destinations: 2, 'requests at receivers': both.reduce((n, r) => n + r.requests.length, 0), duplicates: both.reduce((n, r) => n + r.duplicates(), 0), 'attempts not answered 200': failed })
  })

  t.test('a pause made on one replica holds on the other within 2 s, and a resume on the other releases it', async (t) => {
    const arrivals: number[] = []
    const arrive: Behaviour = (request, response, index) => { arrivals.push(Date.now()); slowReceiver(request, response, index) }
    const { transcript, receivers: { hooks: receiver }, gateways, pools } = await replicas(t, 2, { hooks: arrive })
    const [a, b] = gateways
    const adminCall = async (g: ChildGateway, action: string) => (await fetch(`${g.url}/admin/destinations/hooks/${action}`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.adminToken}` } })).status
    const load = steadyLoad(pools, transcript, 4, 1500)
    await waitFor(() => arrivals.length >= 50, 30_000)
    t.equal(await adminCall(a!, 'pause'), 200)
    const pausedAt = Date.now()
    await sleep(4000) // load goes on, on both replicas
    const afterPause = arrivals.filter((at) => at >= pausedAt).map((at) => at - pausedAt)
    const lastStartMs = Math.max(0, ...afterPause)
    t.ok(lastStartMs <= 2000, `the last request left ${lastStartMs} ms after the pause (${afterPause.length} in all after it)`)
    t.equal(await adminCall(b!, 'resume'), 200)
    const resumedAt = Date.now()
    t.ok(await waitFor(() => arrivals.some((at) => at >= resumedAt), 5000, 10), 'deliveries flow again')
    const firstAfterResumeMs = Math.min(...arrivals.filter((at) => at >= resumedAt)) - resumedAt
    const ids = (await load.stop()).flatMap((r) => [...r.acked.values()].map((x) => x.id))
    t.ok(await drained([receiver!], ids), 'every acknowledged event delivered after the resume')
    await stopAll(t, 'replicas-pause', gateways, transcript)
    summary('replicas-pause', { acknowledged: ids.length, 'sent after the pause': afterPause.length, 'last sent after the pause (ms)': lastStartMs, 'first sent after the resume (ms)': firstAfterResumeMs, 'duplicates at receiver': receiver!.duplicates() })
  })

  t.test('PostgreSQL stopped and started under load: nothing acknowledged is lost, and the replicas recover by themselves', async (t) => {
    const { url, transcript, receivers: { hooks: receiver }, gateways, pools } = await replicas(t, 2, { hooks: quickReceiver })
    const ready = async () => await Promise.all(gateways.map(async (g) => (await fetch(`${g.url}/health/ready`)).status))
    const load = steadyLoad(pools, transcript)
    await sleep(2000)
    const server = await stopServer(url)
    const stoppedAt = Date.now()
    await sleep(500)
    const readyWhileDown = await ready()
    await sleep(2500)
    await startServer(server)
    const downMs = Date.now() - stoppedAt
    const recovered = await waitFor(async () => (await ready()).every((s) => s === 200), 30_000, 100)
    await sleep(2000) // load goes on against the recovered replicas
    const results = await load.stop()
    t.same(readyWhileDown, [503, 503], 'not ready while the database is down')
    t.ok(recovered, 'ready again without a restart')
    const refused = results.reduce((n, r) => n + (r.otherStatuses.get(503) ?? 0), 0)
    t.same(results.flatMap((r) => [...r.otherStatuses.keys()].filter((s) => s !== 503)), [], 'every refusal is a 503')
    t.ok(refused > 0, `${refused} webhooks refused with 503 while the database was down`)
    const ids = results.flatMap((r) => [...r.acked.values()].map((x) => x.id))
    t.ok(await drained([receiver!], ids), 'every acknowledged event delivered')
    const counts = receiver!.counts()
    const lost = ids.filter((id) => !counts.has(id))
    t.same(lost, [])
    t.ok(gateways.every((g) => g.child.exitCode === null), 'the same processes throughout')
    await stopAll(t, 'replicas-database-down', gateways, transcript)
    summary('replicas-database-down', {
      tried: results.reduce((n, r) => n + r.tried, 0),
      acknowledged: ids.length,
      lost: lost.length,
      'refused 503': refused,
      unanswered: results.reduce((n, r) => n + r.unanswered, 0),
      'database down (ms)': downMs,
      'duplicates at receiver': receiver!.duplicates()
    })
  })
}
