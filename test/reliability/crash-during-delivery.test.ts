/**
 * SIGKILL a real gateway while deliveries are in flight to a slow receiver,
 * several times, restarting on the same file each time. Every acknowledged
 * event must reach the receiver at least once; what it got more than once
 * (the attempts cut off by a kill) is counted and printed.
 */
import { randomInt } from 'node:crypto'
import t from 'tap'
import { Pool } from 'undici'
import Database from 'better-sqlite3'
import { startChildGateway } from '../child-gateway.js'
import {
  dbPathIn, gatewayConfigFile, runLoad, SECRETS, sleep, startTestReceiver, summary, Transcript, waitFor, type Acked, type Behaviour
} from './support.js'

const TRIALS = 4
const EVENTS_PER_TRIAL = 150
const LOAD_CONCURRENCY = 16
const DESTINATION_CONCURRENCY = 16
/** The receiver takes 100–300 ms per request, so a backlog is always in flight. */
const slowReceiver: Behaviour = (_request, response) => {
  setTimeout(() => { if (!response.destroyed) response.writeHead(200).end('ok') }, 100 + randomInt(200))
}
const DRAIN_TIMEOUT_MS = 90_000

t.test('every acknowledged event reaches the receiver at least once across SIGKILLs mid-delivery', async (t) => {
  const dir = t.testdir()
  const dbPath = dbPathIn(dir)
  const transcript = new Transcript()
  const receiver = await startTestReceiver(t, slowReceiver)
  const configFile = gatewayConfigFile(dir, dbPath, {
    destinations: {
      hooks: {
        url: receiver.url,
        concurrency: DESTINATION_CONCURRENCY,
        timeoutMs: 5000,
        signingSecret: SECRETS.destinationSigning,
        headers: { authorization: SECRETS.destinationBearer }
      }
    },
    delivery: { pollIntervalMs: 100 }
  })
  const acked: Acked[] = []
  let tried = 0
  let crashes = 0
  let inFlightAtKills = 0

  for (let trial = 1; trial <= TRIALS; trial++) {
    const gateway = await startChildGateway(configFile)
    const firstOfThisLife = receiver.requests.length
    const pool = new Pool(gateway.url, { connections: LOAD_CONCURRENCY })
    const load = await runLoad(pool, { concurrency: LOAD_CONCURRENCY, maxRequests: EVENTS_PER_TRIAL, stop: new Promise(() => {}), transcript })
    await pool.close()
    tried += load.tried
    acked.push(...load.acked.values())
    t.equal(load.acked.size, EVENTS_PER_TRIAL, `trial ${trial}: all ${EVENTS_PER_TRIAL} webhooks acknowledged`)

    // Kill at a random moment once deliveries are flowing.
    const seen = receiver.requests.length
    const flowing = await waitFor(() => receiver.requests.length >= seen + DESTINATION_CONCURRENCY, 10_000, 10)
    t.ok(flowing, `trial ${trial}: deliveries are flowing`)
    await sleep(100 + randomInt(700))
    const inFlight = receiver.requests.slice(firstOfThisLife).filter((r) => r.status === null).length
    gateway.child.kill('SIGKILL')
    const exit = await gateway.exited
    transcript.add(gateway.output.join(''))
    if (exit !== 'SIGKILL') crashes++
    t.equal(exit, 'SIGKILL', `trial ${trial}: killed with ${inFlight} deliveries in flight`)
    inFlightAtKills += inFlight
  }

  const last = await startChildGateway(configFile)
  t.teardown(() => { if (last.child.exitCode === null) last.child.kill('SIGKILL') })
  const ids = acked.map((a) => a.id)
  const drained = await waitFor(() => { const counts = receiver.counts(); return ids.every((id) => counts.has(id)) }, DRAIN_TIMEOUT_MS, 100)
  const counts = receiver.counts()
  const lost = ids.filter((id) => !counts.has(id))
  t.ok(drained, 'the backlog drains after the last restart')
  t.same(lost, [], `all ${ids.length} acknowledged events reached the receiver`)
  // Let the last answers settle before stopping, so the file says delivered.
  await waitFor(() => receiver.requests.every((r) => r.status !== null), 5000, 50)
  last.child.kill('SIGTERM')
  t.equal(await last.exited, 0, 'the last gateway stops cleanly')
  transcript.add(last.output.join(''))

  const db = new Database(dbPath, { readonly: true })
  const states = db.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all()
  const unknown = (db.prepare("SELECT count(*) AS n FROM attempts WHERE error LIKE 'no outcome:%'").get() as { n: number }).n
  db.close()
  t.same(states, [{ status: 'delivered', n: ids.length }], 'every delivery is marked delivered in the file')
  transcript.check(t, 'crash-during-delivery')
  summary('crash-during-delivery', {
    tried,
    acknowledged: ids.length,
    delivered: ids.length - lost.length,
    lost: lost.length,
    'receiver requests': receiver.requests.length,
    'duplicates at receiver': receiver.duplicates(),
    'receiver unanswered at kills': inFlightAtKills,
    'attempts with no outcome': unknown,
    trials: TRIALS,
    crashes
  })
})
