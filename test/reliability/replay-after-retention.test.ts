/**
 * Issue 19, point 8: a legacy-signed Chaindoc webhook (no timestamp, so no
 * replay window) is delivered, retention deletes it, and an attacker who kept
 * the request sends the same bytes to a restarted gateway. It must be
 * answered as the duplicate it is: stored once, forwarded once. A source with
 * legacyScheme: false refuses the same request outright.
 */
import t from 'tap'
import Database from 'better-sqlite3'
import { startChildGateway } from '../child-gateway.js'
import { signChaindocLegacy } from '../../providers/sign.js'
import { dbPathIn, gatewayConfigFile, SECRETS, startTestReceiver, storedEvents, summary, Transcript, waitFor } from './support.js'

/** Retention of one second, so the gateway's own pass at boot deletes the event in real time. */
const RETENTION_MS = 1000
const DAY_MS = 24 * 60 * 60 * 1000

t.test('a legacy Chaindoc replay after retention is acknowledged as a duplicate: stored 1, forwarded 1', async (t) => {
  const dir = t.testdir()
  const dbPath = dbPathIn(dir)
  const transcript = new Transcript()
  const receiver = await startTestReceiver(t, (_request, response) => { response.writeHead(200).end('ok') })
  const configFile = gatewayConfigFile(dir, dbPath, {
    storage: { path: dbPath, retentionDays: RETENTION_MS / DAY_MS },
    sources: {
      chaindoc: { provider: 'chaindoc', secret: SECRETS.chaindoc },
      'chaindoc-strict': { provider: 'chaindoc', secret: SECRETS.chaindoc, options: { legacyScheme: false } }
    },
    destinations: { hooks: { url: receiver.url, headers: { authorization: SECRETS.destinationBearer } } },
    delivery: { pollIntervalMs: 100 }
  })
  const body = JSON.stringify({ event: 'document.signed', timestamp: new Date().toISOString(), data: { documentId: 'doc_replayed' } })
  const headers = signChaindocLegacy({ body, secret: SECRETS.chaindoc, event: 'document.signed' })
  const answers: Array<{ status: number, body: Record<string, unknown> }> = []
  const post = async (url: string, source: string) => {
    const res = await fetch(`${url}/webhooks/${source}`, { method: 'POST', headers, body })
    const text = await res.text()
    transcript.add(text)
    const answer = { status: res.status, body: JSON.parse(text) as Record<string, unknown> }
    answers.push(answer)
    return answer
  }

  const first = await startChildGateway(configFile)
  const original = await post(first.url, 'chaindoc')
  t.match(original, { status: 200, body: { duplicate: false } }, 'the genuine delivery is stored')
  t.ok(await waitFor(() => receiver.requests.some((r) => r.status !== null), 10_000), 'and forwarded')
  const sentAt = Date.now()
  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0)
  transcript.add(first.output.join(''))

  // The event must be past retention when the next gateway makes its pass at boot.
  await waitFor(() => Date.now() - sentAt > RETENTION_MS + 200, RETENTION_MS + 1000)
  const second = await startChildGateway(configFile)
  t.teardown(() => { if (second.child.exitCode === null) second.child.kill('SIGKILL') })
  t.ok(await waitFor(() => storedEvents(dbPath).size === 0, 10_000), 'retention deleted the event')

  const replay = await post(second.url, 'chaindoc')
  t.same(replay, { status: 200, body: { id: original.body.id, duplicate: true } }, 'the replay is the original, by id')
  const strict = await post(second.url, 'chaindoc-strict')
  t.match(strict, { status: 401, body: { code: 'HG_ERR_SIGNATURE_INVALID' } }, 'legacyScheme: false refuses the legacy signature')
  second.child.kill('SIGTERM') // graceful: any delivery in flight would be let finish
  t.equal(await second.exited, 0)
  transcript.add(second.output.join(''))

  const db = new Database(dbPath, { readonly: true })
  const rows = {
    events: db.prepare('SELECT count(*) FROM events').pluck().get() as number,
    keys: db.prepare('SELECT count(*) FROM dedup_keys').pluck().get() as number
  }
  db.close()
  t.same(rows, { events: 0, keys: 1 }, 'nothing stored by the replay; the key is kept')
  const forwarded = receiver.requests.length
  t.equal(forwarded, 1, 'forwarded once')
  // Each id ever acknowledged was stored once; on a gateway without kept keys the replay made a second.
  const storedIds = new Set(answers.filter((a) => a.status === 200).map((a) => String(a.body.id)))
  const received = receiver.counts()
  transcript.check(t, 'replay-after-retention')
  summary('replay-after-retention', {
    tried: answers.length,
    stored: storedIds.size,
    forwarded,
    'answered duplicate': answers.filter((a) => a.body.duplicate === true).length,
    'refused (legacy off)': answers.filter((a) => a.status === 401).length,
    lost: [...storedIds].filter((id) => !received.has(id)).length
  })
})
