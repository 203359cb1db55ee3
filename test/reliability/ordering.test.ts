/**
 * Ordered delivery per subject (issue 16) with real processes: a destination
 * with `ordering: subject`, 1,000 Clerk events about 50 users, each user's
 * events sent one after another (each once the previous was acknowledged, so
 * their order is defined), to a receiver that refuses about a fifth of first
 * attempts with 500. A gateway on SQLite is killed with SIGKILL mid-run and
 * started again on its file; two replicas on PostgreSQL share the load and
 * one of them is killed. Per user, the receiver must take the events (first
 * 2xx) in the order they were acknowledged, never get one before every
 * earlier one was taken, never two at once, and after a kill get first the
 * delivery that was leased when the gateway died.
 */
import t, { type Test } from 'tap'
import { Pool } from 'undici'
import Database from 'better-sqlite3'
import pg from 'pg'
import { startChildGateway, type ChildGateway } from '../child-gateway.js'
import { freshDatabase, postgresMissing } from '../fixtures/postgres.js'
import { dbPathIn, gatewayConfigFile, genuineClerk, sleep, startTestReceiver, summary, Transcript, waitFor, type SignedRequest } from './support.js'
import { OrderWatch, orderFindings, type Lease } from './ordering-watch.js'

const SUBJECTS = 50
const EVENTS_PER_SUBJECT = 20
const EVENTS = SUBJECTS * EVENTS_PER_SUBJECT
/** The gateway dies once this many events are acknowledged: ingest and deliveries both under way. */
const KILL_AFTER_ACKS = 400
/** Short, and long enough that no delivery goes dead (only first attempts are refused). */
const RETRY = { schedule: ['0s', '200ms', '500ms', '1s', '2s', '5s', '10s'] }
const DRAIN_TIMEOUT_MS = 90_000
const SEND_TIMEOUT_MS = 120_000

const destination = (url: string) => ({ ordered: { url, concurrency: 16, timeoutMs: 5000, ordering: 'subject', retry: RETRY } })

/** Subject i's user id: Clerk's subject is data.id. */
const userOf = (i: number): string => `user_ordering${String(i).padStart(3, '0')}`

interface Sent {
  /** Per subject, the gateway's event ids in the order they were acknowledged. */
  readonly acked: Map<string, string[]>
  /** Sends not answered 2xx (the gateway down or dying), each sent again with its svix id. */
  resent: number
}

/**
 * Each subject's events one after another: the next is sent once the previous
 * is acknowledged. A send that gets no 2xx is sent again, same svix id (a
 * duplicate answers with the stored id), to `target(subject, k, tries)`, until
 * acknowledged; so every event is acknowledged once, in its subject's order.
 */
async function sendInOrder (target: (subject: number, k: number, tries: number) => Pool, transcript: Transcript, onAck: () => void): Promise<Sent> {
  const sent: Sent = { acked: new Map(), resent: 0 }
  const deadline = Date.now() + SEND_TIMEOUT_MS
  const subject = async (i: number) => {
    const ids: string[] = []
    sent.acked.set(userOf(i), ids)
    for (let k = 0; k < EVENTS_PER_SUBJECT; k++) {
      const request: SignedRequest = genuineClerk(Date.now(), { userId: userOf(i), type: k === 0 ? 'user.created' : 'user.updated' })
      for (let tries = 0; ; tries++) {
        if (Date.now() > deadline) throw new Error(`subject ${i}: event ${k} not acknowledged within ${SEND_TIMEOUT_MS} ms`)
        try {
          const res = await target(i, k, tries).request({ path: '/webhooks/clerk', method: 'POST', headers: request.headers, body: request.body })
          const text = await res.body.text()
          transcript.add(text)
          if (res.statusCode === 200) { ids.push((JSON.parse(text) as { id: string }).id); onAck(); break }
        } catch {}
        sent.resent++
        await sleep(50)
      }
    }
  }
  await Promise.all(Array.from({ length: SUBJECTS }, (_, i) => subject(i)))
  return sent
}

function assertOrder (t: Test, watch: OrderWatch, sent: Sent, heads: readonly Lease[], killedAtArrival: number) {
  const found = orderFindings(watch, sent.acked, heads, killedAtArrival)
  const acked = [...sent.acked.values()].flat().length
  t.equal(acked, EVENTS, 'every event acknowledged')
  t.same(found.lost, [], `all ${acked} acknowledged events delivered`)
  t.same(found.orderBroken, [], 'per subject, first successful deliveries in the order received')
  t.same(found.sentAhead, [], 'no event sent before every earlier one of its subject was taken')
  t.equal(watch.overlaps, 0, 'never two requests of one subject in flight at the receiver')
  t.ok(heads.length > 0, `${heads.length} deliveries leased at the kill`)
  t.same(found.headsNotFirst, [], 'each delivery leased at the kill sent again before any later one of its subject')
  return found
}

t.test('SQLite, kill -9 mid-run: every acknowledged event delivered and each subject in order, the head leased at the kill first', async (t) => {
  const dir = t.testdir()
  const dbPath = dbPathIn(dir)
  const transcript = new Transcript()
  const watch = new OrderWatch()
  const receiver = await startTestReceiver(t, watch.behave)
  const configFile = gatewayConfigFile(dir, dbPath, { destinations: destination(receiver.url), delivery: { pollIntervalMs: 100 } })
  const gateways: ChildGateway[] = [await startChildGateway(configFile)]
  t.teardown(() => { for (const g of gateways) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL') })
  let pool = new Pool(gateways[0]!.url, { connections: 16 })
  let acks = 0
  let killing: () => void = () => {}
  const killDue = new Promise<void>((resolve) => { killing = resolve })
  const sending = sendInOrder(() => pool, transcript, () => { if (++acks === KILL_AFTER_ACKS) killing() })

  await killDue
  gateways[0]!.child.kill('SIGKILL')
  t.equal(await gateways[0]!.exited, 'SIGKILL')
  const killedAtArrival = watch.arrivals.length
  const deliveredAtKill = watch.firstOk.size
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  const heads = db.prepare('SELECT d.event_id AS eventId, e.subject FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.locked_at IS NOT NULL').all() as Lease[]
  db.close()
  const old = pool
  gateways.push(await startChildGateway(configFile))
  pool = new Pool(gateways[1]!.url, { connections: 16 })
  await old.close()
  const sent = await sending
  const ids = [...sent.acked.values()].flat()
  t.ok(await waitFor(() => ids.every((id) => watch.firstOk.has(id)), DRAIN_TIMEOUT_MS, 100), 'the backlog drains after the restart')
  await waitFor(() => watch.idle(), 5000, 50)
  await pool.close()
  gateways[1]!.child.kill('SIGTERM')
  t.equal(await gateways[1]!.exited, 0, 'the restarted gateway stops cleanly')
  for (const g of gateways) transcript.add(g.output.join(''))

  const found = assertOrder(t, watch, sent, heads, killedAtArrival)
  const check = new Database(dbPath, { readonly: true })
  const states = check.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all()
  check.close()
  t.same(states, [{ status: 'delivered', n: EVENTS }], 'every delivery is marked delivered in the file')
  transcript.check(t, 'ordering-kill')
  summary('ordering-kill', {
    events: EVENTS, subjects: SUBJECTS, acknowledged: ids.length, 'acknowledged before the kill': KILL_AFTER_ACKS, 'delivered before the kill': deliveredAtKill,
    lost: found.lost.length, 'order broken': found.orderBroken.length, 'sent ahead': found.sentAhead.length, 'two of a subject in flight': watch.overlaps,
    'leased at the kill': heads.length, 'of them sent again first': heads.length - found.headsNotFirst.length,
    'receiver requests': watch.arrivals.length, 'refused 500': watch.refused, 'sends repeated': sent.resent
  })
})

async function query<R extends pg.QueryResultRow> (url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try { return (await client.query<R>(sql, values)).rows } finally { await client.end() }
}

t.test('PostgreSQL, two replicas and kill -9 of one: every event delivered, each subject in order and never two of it in flight', { skip: postgresMissing() ?? false }, async (t) => {
  const dir = t.testdir()
  const url = await freshDatabase(t)
  const transcript = new Transcript()
  const watch = new OrderWatch()
  const receiver = await startTestReceiver(t, watch.behave)
  const configFile = gatewayConfigFile(dir, dbPathIn(dir), {
    storage: { driver: 'postgres', url, poolSize: 8 },
    destinations: destination(receiver.url),
    delivery: { pollIntervalMs: 100 }
  })
  const [a, b] = await Promise.all([startChildGateway(configFile), startChildGateway(configFile)])
  t.teardown(() => { for (const g of [a, b]) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL') })
  const pools = [new Pool(a.url, { connections: 8 }), new Pool(b.url, { connections: 8 })]
  t.teardown(() => Promise.all(pools.map((p) => p.close().catch(() => {}))))
  t.ok(await waitFor(async () => (await query(url, 'SELECT owner FROM replicas')).length === 2, 10_000), 'both replicas beat')
  const owner = (await query<{ owner: string }>(url, 'SELECT owner FROM replicas')).map((r) => r.owner).find((o) => o.includes(`:${b.child.pid}:`))!
  const leasedBy = async () => await query<Lease>(url, 'SELECT d.event_id AS "eventId", e.subject FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.locked_by = $1', [owner])

  // A subject's events alternate between the replicas (each retry to the other), all to A once B is dead.
  let bAlive = true
  let acks = 0
  let killing: () => void = () => {}
  const killDue = new Promise<void>((resolve) => { killing = resolve })
  const sending = sendInOrder((i, k, tries) => pools[bAlive ? (i + k + tries) % 2 : 0]!, transcript, () => { if (++acks === KILL_AFTER_ACKS) killing() })
  await killDue
  // Several, so that some are still leased a query later, when B dies (each is held 5–30 ms).
  t.ok(await waitFor(async () => (await leasedBy()).length >= 4, 10_000, 5), 'B holds deliveries')
  b.child.kill('SIGKILL')
  t.equal(await b.exited, 'SIGKILL')
  bAlive = false
  const killedAt = Date.now()
  const killedAtArrival = watch.arrivals.length
  const heads = await leasedBy()
  const sent = await sending
  const ids = [...sent.acked.values()].flat()
  t.ok(await waitFor(() => ids.every((id) => watch.firstOk.has(id)), DRAIN_TIMEOUT_MS, 100), 'the backlog drains on the survivor')
  const drainedMs = Date.now() - killedAt
  await waitFor(() => watch.idle(), 5000, 50)
  a.child.kill('SIGTERM')
  t.equal(await a.exited, 0, 'the survivor stops cleanly')
  for (const g of [a, b]) transcript.add(g.output.join(''))

  const found = assertOrder(t, watch, sent, heads, killedAtArrival)
  const states = await query<{ status: string, n: number }>(url, 'SELECT status, count(*)::int AS n FROM deliveries GROUP BY status')
  t.same(states, [{ status: 'delivered', n: EVENTS }], 'every delivery is marked delivered in the database')
  transcript.check(t, 'ordering-replicas')
  summary('ordering-replicas', {
    events: EVENTS, subjects: SUBJECTS, replicas: 2, acknowledged: ids.length, lost: found.lost.length, 'order broken': found.orderBroken.length,
    'sent ahead': found.sentAhead.length, 'two of a subject in flight': watch.overlaps,
    'leased by the killed replica': heads.length, 'of them sent again first': heads.length - found.headsNotFirst.length,
    'drained after the kill (ms)': drainedMs, 'receiver requests': watch.arrivals.length, 'refused 500': watch.refused, 'sends repeated': sent.resent
  })
})
