/**
 * Several real gateways (`hookgate start` child processes) on one real
 * PostgreSQL database: a SIGKILL of one under load, the same message sent to
 * different replicas, three replicas dispatching at once, and the database
 * stopped and started under load. Each area prints its figures.
 */
import { randomInt } from 'node:crypto'
import t, { type Test } from 'tap'
import { Pool } from 'undici'
import pg from 'pg'
import { startChildGateway, type ChildGateway } from '../child-gateway.js'
import { freshDatabase, postgresMissing } from '../fixtures/postgres.js'
import { startServer, stopServer } from './postgres-server.js'
import {
  dbPathIn, gatewayConfigFile, SECRETS, genuineClerk, runLoad, sleep, startTestReceiver, summary, Transcript, waitFor, type Acked, type Behaviour, type TestReceiver
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

/** `count` replicas of one config, each killed in teardown if still running. */
async function replicas (t: Test, configFile: string, count: number): Promise<ChildGateway[]> {
  const started = await Promise.all(Array.from({ length: count }, () => startChildGateway(configFile)))
  t.teardown(() => { for (const g of started) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL') })
  return started
}

function configFor (dir: string, url: string, destinations: Record<string, TestReceiver>, concurrency: number): string {
  return gatewayConfigFile(dir, dbPathIn(dir), {
    admin: { token: SECRETS.adminToken },
    storage: { driver: 'postgres', url, poolSize: 8 },
    destinations: Object.fromEntries(Object.entries(destinations).map(([name, r]) => [name, { url: r.url, concurrency, timeoutMs: 5000 }])),
    delivery: { pollIntervalMs: 100 }
  })
}

async function drained (receivers: readonly TestReceiver[], ids: readonly string[]): Promise<boolean> {
  return await waitFor(() => receivers.every((r) => { const counts = r.counts(); return ids.every((id) => counts.has(id)) }), DRAIN_TIMEOUT_MS, 100)
}

const missing = postgresMissing()
if (missing !== null) t.plan(0, missing)
else {
  t.test('kill -9 one of two replicas under load: nothing acknowledged is lost, and the survivor takes over its deliveries within 30 s', async (t) => {
    const dir = t.testdir()
    const url = await freshDatabase(t)
    const transcript = new Transcript()
    const arrivals = new Map<string, number[]>()
    const receiver = await startTestReceiver(t, (request, response, index) => {
      arrivals.set(request.eventId, [...(arrivals.get(request.eventId) ?? []), Date.now()])
      slowReceiver(request, response, index)
    })
    const [a, b] = await replicas(t, configFor(dir, url, { hooks: receiver }, 16), 2)
    const pools = [a!, b!].map((g) => new Pool(g.url, { connections: 8 }))
    let stopLoad!: () => void
    const loadStopped = new Promise<void>((resolve) => { stopLoad = resolve })
    const loads = pools.map((pool) => runLoad(pool, { concurrency: 8, maxRequests: 400, stop: loadStopped, transcript }))

    const owner = (await waitFor(async () => (await query(url, 'SELECT owner FROM replicas')).length === 2, 10_000))
      ? (await query<{ owner: string }>(url, 'SELECT owner FROM replicas')).map((r) => r.owner).find((o) => o.includes(`:${b!.child.pid}:`))!
      : ''
    t.ok(owner, 'both replicas beat')
    // Kill once B holds deliveries: some sending, some leased ahead.
    t.ok(await waitFor(async () => (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM deliveries WHERE locked_by = $1', [owner]))[0]!.n >= 8, 30_000, 20), 'B holds deliveries')
    await sleep(randomInt(500))
    b!.child.kill('SIGKILL')
    const killedAt = Date.now()
    const held = (await query<{ event_id: string }>(url, 'SELECT event_id FROM deliveries WHERE locked_by = $1', [owner])).map((r) => r.event_id)
    t.equal(await b!.exited, 'SIGKILL')
    transcript.add(b!.output.join(''))

    const freed = await waitFor(async () => (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM deliveries WHERE locked_by = $1', [owner]))[0]!.n === 0, 60_000, 100)
    const takeoverMs = Date.now() - killedAt
    t.ok(freed, 'the survivor freed every lease the killed replica held')
    t.ok(takeoverMs <= 30_000, `taken over ${takeoverMs} ms after the kill`)
    stopLoad()
    const results = await Promise.all(loads)
    await Promise.all(pools.map((p) => p.close()))

    const acked: Acked[] = results.flatMap((r) => [...r.acked.values()])
    const ids = acked.map((x) => x.id)
    t.ok(await drained([receiver], ids), 'the backlog drains on the survivor')
    const counts = receiver.counts()
    const lost = ids.filter((id) => !counts.has(id))
    t.same(lost, [], `all ${ids.length} acknowledged events reached the receiver`)
    // When each delivery the killed replica held arrived again (or first) after the kill.
    const resentAfter = held.map((id) => (arrivals.get(id) ?? []).find((at) => at >= killedAt)).filter((at) => at !== undefined).map((at) => at - killedAt)
    a!.child.kill('SIGTERM')
    t.equal(await a!.exited, 0, 'the survivor stops cleanly')
    transcript.add(a!.output.join(''))
    transcript.check(t, 'replicas-kill')
    summary('replicas-kill', {
      acknowledged: ids.length,
      delivered: ids.length - lost.length,
      lost: lost.length,
      'held by the killed replica': held.length,
      'leases freed after (ms)': takeoverMs,
      'last of them sent again after (ms)': resentAfter.length === 0 ? 'none' : Math.max(...resentAfter),
      'duplicates at receiver': receiver.duplicates()
    })
  })

  t.test('the same message sent to three replicas at once is stored once, and every answer carries its id', async (t) => {
    const dir = t.testdir()
    const url = await freshDatabase(t)
    const transcript = new Transcript()
    const receiver = await startTestReceiver(t, quickReceiver)
    const gateways = await replicas(t, configFor(dir, url, { hooks: receiver }, 8), 3)
    const pools = gateways.map((g) => new Pool(g.url, { connections: 8 }))
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
    await Promise.all(pools.map((p) => p.close()))
    const split = answers.filter((three) => three.some((x) => x.status !== 200) || new Set(three.map((x) => x.id)).size !== 1)
    t.same(split, [], 'three 200s with one id for every message')
    const n = (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM events'))[0]?.n
    t.equal(n, MESSAGES, 'stored once each')
    const ids = answers.map((three) => three[0]!.id!)
    t.ok(await drained([receiver], ids))
    t.equal(receiver.duplicates(), 0, 'and delivered once each')
    for (const g of gateways) g.child.kill('SIGTERM')
    for (const g of gateways) { t.equal(await g.exited, 0); transcript.add(g.output.join('')) }
    transcript.check(t, 'replicas-dedup')
    summary('replicas-dedup', { messages: MESSAGES, 'requests (each to 3 replicas)': MESSAGES * 3, 'events stored': n ?? 0, 'answers with another id': split.length, 'duplicates at receiver': receiver.duplicates() })
  })

  t.test('three replicas dispatching: each event reaches each destination once', async (t) => {
    const dir = t.testdir()
    const url = await freshDatabase(t)
    const transcript = new Transcript()
    const receivers = [await startTestReceiver(t, quickReceiver), await startTestReceiver(t, quickReceiver)]
    const gateways = await replicas(t, configFor(dir, url, { one: receivers[0]!, two: receivers[1]! }, 8), 3)
    const pools = gateways.map((g) => new Pool(g.url, { connections: 8 }))
    const results = await Promise.all(pools.map((pool) => runLoad(pool, { concurrency: 8, maxRequests: 150, stop: new Promise(() => {}), transcript })))
    await Promise.all(pools.map((p) => p.close()))
    const ids = results.flatMap((r) => [...r.acked.values()].map((x) => x.id))
    t.equal(ids.length, 450, 'every webhook acknowledged')
    t.ok(await drained(receivers, ids), 'every event reached both destinations')
    for (const [i, r] of receivers.entries()) {
      t.equal(r.requests.length, ids.length, `destination ${i + 1}: one request per event`)
      t.equal(r.duplicates(), 0)
    }
    const [failed] = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM attempts WHERE status_code IS DISTINCT FROM 200')
    for (const g of gateways) g.child.kill('SIGTERM')
    for (const g of gateways) { t.equal(await g.exited, 0); transcript.add(g.output.join('')) }
    transcript.check(t, 'replicas-once')
    summary('replicas-once', { events: ids.length, destinations: 2, 'requests at receivers': receivers[0]!.requests.length + receivers[1]!.requests.length, duplicates: receivers[0]!.duplicates() + receivers[1]!.duplicates(), 'attempts not answered 200': failed?.n ?? 0 })
  })

  t.test('a pause made on one replica holds on the other within 2 s, and a resume on the other releases it', async (t) => {
    const dir = t.testdir()
    const url = await freshDatabase(t)
    const transcript = new Transcript()
    const arrivals: number[] = []
    const receiver = await startTestReceiver(t, (request, response, index) => { arrivals.push(Date.now()); slowReceiver(request, response, index) })
    const [a, b] = await replicas(t, configFor(dir, url, { hooks: receiver }, 8), 2)
    const adminCall = async (g: ChildGateway, action: string) => (await fetch(`${g.url}/admin/destinations/hooks/${action}`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.adminToken}` } })).status
    const pools = [a!, b!].map((g) => new Pool(g.url, { connections: 4 }))
    let stopLoad!: () => void
    const loadStopped = new Promise<void>((resolve) => { stopLoad = resolve })
    const loads = pools.map((pool) => runLoad(pool, { concurrency: 4, maxRequests: 100_000, stop: loadStopped, transcript }))
    await waitFor(() => arrivals.length >= 50, 30_000)
    t.equal(await adminCall(a!, 'pause'), 200)
    const pausedAt = Date.now()
    await sleep(4000) // load goes on, on both replicas
    const lastStartMs = Math.max(0, ...arrivals.filter((at) => at >= pausedAt).map((at) => at - pausedAt))
    const duringPause = arrivals.filter((at) => at >= pausedAt).length
    t.ok(lastStartMs <= 2000, `the last request left ${lastStartMs} ms after the pause (${duringPause} in all after it)`)
    t.equal(await adminCall(b!, 'resume'), 200)
    const resumedAt = Date.now()
    t.ok(await waitFor(() => arrivals.some((at) => at >= resumedAt), 5000, 10), 'deliveries flow again')
    const firstAfterResumeMs = Math.min(...arrivals.filter((at) => at >= resumedAt)) - resumedAt
    stopLoad()
    const results = await Promise.all(loads)
    await Promise.all(pools.map((p) => p.close()))
    const ids = results.flatMap((r) => [...r.acked.values()].map((x) => x.id))
    t.ok(await drained([receiver], ids), 'every acknowledged event delivered after the resume')
    for (const g of [a!, b!]) g.child.kill('SIGTERM')
    for (const g of [a!, b!]) { t.equal(await g.exited, 0); transcript.add(g.output.join('')) }
    transcript.check(t, 'replicas-pause')
    summary('replicas-pause', { acknowledged: ids.length, 'sent after the pause': duringPause, 'last sent after the pause (ms)': lastStartMs, 'first sent after the resume (ms)': firstAfterResumeMs, 'duplicates at receiver': receiver.duplicates() })
  })

  t.test('PostgreSQL stopped and started under load: nothing acknowledged is lost, and the replicas recover by themselves', async (t) => {
    const dir = t.testdir()
    const url = await freshDatabase(t)
    const transcript = new Transcript()
    const receiver = await startTestReceiver(t, quickReceiver)
    const gateways = await replicas(t, configFor(dir, url, { hooks: receiver }, 8), 2)
    const pools = gateways.map((g) => new Pool(g.url, { connections: 4 }))
    let stopLoad!: () => void
    const loadStopped = new Promise<void>((resolve) => { stopLoad = resolve })
    const loads = pools.map((pool) => runLoad(pool, { concurrency: 4, maxRequests: 100_000, stop: loadStopped, transcript }))
    await sleep(2000)
    const server = await stopServer(url)
    const stoppedAt = Date.now()
    await sleep(500)
    const readyWhileDown = await Promise.all(gateways.map(async (g) => (await fetch(`${g.url}/health/ready`)).status))
    await sleep(2500)
    await startServer(server)
    const downMs = Date.now() - stoppedAt
    const recovered = await waitFor(async () => (await Promise.all(gateways.map(async (g) => (await fetch(`${g.url}/health/ready`)).status))).every((s) => s === 200), 30_000, 100)
    await sleep(2000) // load goes on against the recovered replicas
    stopLoad()
    const results = await Promise.all(loads)
    await Promise.all(pools.map((p) => p.close()))
    t.same(readyWhileDown, [503, 503], 'not ready while the database is down')
    t.ok(recovered, 'ready again without a restart')
    const refused = results.reduce((n, r) => n + (r.otherStatuses.get(503) ?? 0), 0)
    const others = results.flatMap((r) => [...r.otherStatuses.keys()].filter((s) => s !== 503))
    t.same(others, [], 'every refusal is a 503')
    t.ok(refused > 0, `${refused} webhooks refused with 503 while the database was down`)
    const ids = results.flatMap((r) => [...r.acked.values()].map((x) => x.id))
    t.ok(await drained([receiver], ids), 'every acknowledged event delivered')
    const counts = receiver.counts()
    const lost = ids.filter((id) => !counts.has(id))
    t.same(lost, [])
    t.ok(gateways.every((g) => g.child.exitCode === null), 'the same processes throughout')
    for (const g of gateways) g.child.kill('SIGTERM')
    for (const g of gateways) { t.equal(await g.exited, 0); transcript.add(g.output.join('')) }
    transcript.check(t, 'replicas-database-down')
    summary('replicas-database-down', {
      tried: results.reduce((n, r) => n + r.tried, 0),
      acknowledged: ids.length,
      lost: lost.length,
      'refused 503': refused,
      unanswered: results.reduce((n, r) => n + r.unanswered, 0),
      'database down (ms)': downMs,
      'duplicates at receiver': receiver.duplicates()
    })
  })
}
