/**
 * SIGKILL a real gateway at a random moment under concurrent load, restart it
 * on the same file, and hold it to its promise: acknowledged = stored. Every
 * 2xx answer must name a row that is in the file, and resending the request
 * to the restarted gateway must answer `duplicate: true` with the same id.
 * With a destination configured, each must also reach the receiver.
 */
import t, { type Test } from 'tap'
import { Pool } from 'undici'
import { startChildGateway, type ChildGateway } from '../child-gateway.js'
import {
  answerAfter, dbPathIn, gatewayConfigFile, resend, runLoad, SECRETS, sleep, startTestReceiver, storedEvents, summary, Transcript, waitFor, type Acked
} from './support.js'

const TRIALS = 6
const CONCURRENCY = 32
const MAX_REQUESTS_PER_TRIAL = 5000
const KILL_AFTER_MS = { min: 100, max: 800 }
const DRAIN_TIMEOUT_MS = 90_000

async function killAfter (gateway: ChildGateway, ms: number): Promise<void> {
  await sleep(ms)
  gateway.child.kill('SIGKILL')
}

/** Resends every acknowledged request; each must come back as the same event, marked duplicate. */
async function checkResent (t: Test, url: string, acked: readonly Acked[], transcript: Transcript): Promise<number> {
  const pool = new Pool(url, { connections: CONCURRENCY })
  try {
    const answers = await resend(pool, acked.map((a) => a.request), CONCURRENCY, transcript)
    const wrong = acked.filter((a) => {
      const answer = answers.get(a.request.svixId)
      return answer?.status !== 200 || answer.duplicate !== true || answer.id !== a.id
    })
    t.same(wrong.slice(0, 5).map((a) => ({ svixId: a.request.svixId, expected: a.id, got: answers.get(a.request.svixId) })), [],
      `all ${acked.length} acknowledged requests come back as duplicates of the same event`)
    return wrong.length
  } finally {
    await pool.close()
  }
}

t.test('every webhook acknowledged before a SIGKILL is stored and comes back as a duplicate', async (t) => {
  const dir = t.testdir()
  const dbPath = dbPathIn(dir)
  const receiver = await startTestReceiver(t, answerAfter(0))
  const configFile = gatewayConfigFile(dir, dbPath, {
    destinations: { hooks: { url: receiver.url, concurrency: 20, signingSecret: SECRETS.destinationSigning } },
    delivery: { pollIntervalMs: 100 }
  })
  const transcript = new Transcript()
  const totals = { tried: 0, acknowledged: 0, stored: 0, lost: 0, unanswered: 0, crashes: 0, resentNotDuplicate: 0 }
  const everAcked: Acked[] = []
  let previous: Acked[] = []

  for (let trial = 1; trial <= TRIALS; trial++) {
    const gateway = await startChildGateway(configFile)
    // The restart is also the check for the previous trial's acknowledgements.
    totals.resentNotDuplicate += await checkResent(t, gateway.url, previous, transcript)

    const delayMs = KILL_AFTER_MS.min + Math.floor(Math.random() * (KILL_AFTER_MS.max - KILL_AFTER_MS.min))
    const pool = new Pool(gateway.url, { connections: CONCURRENCY })
    // The delay runs from the first acknowledgement, not from the first request:
    // on a busy host a fresh gateway's first answers can take longer than the
    // shortest delay, and a kill before any 200 proves nothing.
    let acknowledged!: () => void
    const firstAck = new Promise<void>((resolve) => { acknowledged = resolve })
    const killed = firstAck.then(() => killAfter(gateway, delayMs))
    const load = await runLoad(pool, { concurrency: CONCURRENCY, maxRequests: MAX_REQUESTS_PER_TRIAL, stop: killed, transcript, onAcknowledged: acknowledged })
    acknowledged() // a load that ended with no 200 at all still ends in a kill, and fails below
    await killed
    const exit = await gateway.exited
    await pool.destroy()
    transcript.add(gateway.output.join(''))
    if (exit !== 'SIGKILL') totals.crashes++
    t.equal(exit, 'SIGKILL', `trial ${trial}: the gateway ran until killed ${delayMs} ms after its first acknowledgement`)
    t.same(Object.fromEntries(load.otherStatuses), {}, `trial ${trial}: every answer before the kill was a 2xx`)

    const stored = storedEvents(dbPath)
    const acked = [...load.acked.values()]
    const lost = acked.filter((a) => stored.get(a.request.svixId) !== a.id)
    t.same(lost.map((a) => a.request.svixId), [], `trial ${trial}: all ${acked.length} acknowledged events are in the file`)
    t.ok(acked.length > 0, `trial ${trial}: some requests were acknowledged before the kill`)

    totals.tried += load.tried
    totals.acknowledged += acked.length
    totals.stored += acked.length - lost.length
    totals.lost += lost.length
    totals.unanswered += load.unanswered
    everAcked.push(...acked)
    previous = acked
  }

  const last = await startChildGateway(configFile)
  t.teardown(() => { last.child.kill('SIGKILL') })
  totals.resentNotDuplicate += await checkResent(t, last.url, previous, transcript)
  const drained = await waitFor(() => { const counts = receiver.counts(); return everAcked.every((a) => counts.has(a.id)) }, DRAIN_TIMEOUT_MS, 100)
  const counts = receiver.counts()
  const undelivered = everAcked.filter((a) => !counts.has(a.id)).length
  t.ok(drained, 'the backlog drains after the last restart')
  t.equal(undelivered, 0, `all ${everAcked.length} acknowledged events reached the receiver`)
  last.child.kill('SIGTERM')
  t.equal(await last.exited, 0, 'the last gateway stops cleanly on SIGTERM')
  transcript.add(last.output.join(''))

  const stored = storedEvents(dbPath)
  const lostOverall = everAcked.filter((a) => stored.get(a.request.svixId) !== a.id).length
  t.equal(lostOverall, 0, `after ${TRIALS} crashes, all ${everAcked.length} acknowledged events are still in the file`)
  transcript.check(t, 'crash-during-ingest')
  summary('crash-during-ingest', {
    tried: totals.tried,
    acknowledged: totals.acknowledged,
    stored: totals.stored,
    lost: totals.lost + lostOverall,
    'resent not duplicate': totals.resentNotDuplicate,
    delivered: everAcked.length - undelivered,
    'duplicates at receiver': receiver.duplicates(),
    'unanswered at kill': totals.unanswered,
    trials: TRIALS,
    crashes: totals.crashes
  })
})
