/**
 * Secrets stay secret: a gateway configured with every kind of secret (source
 * signing secrets from the environment, an admin token, a destination's
 * signing secret and bearer header) is driven through genuine, forged and
 * malformed traffic, the admin API, /metrics and the CLI; then every log line
 * and every answer is searched for each secret (whole, the base64 part after
 * whsec_, and as the byte list pino writes for a Buffer). The other areas run
 * the same check on their own transcripts.
 */
import { spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { sampleEvent } from '../../providers/samples.js'
import { signChaindoc, signChaindocLegacy } from '../../providers/sign.js'
import { packageRoot } from '../../src/package-root.js'
import { startChildGateway, writeConfig } from '../child-gateway.js'
import {
  answerAfter, BODY_LIMIT_BYTES, dbPathIn, genuineClerk, rawHttp, rawRequest, SECRETS, startTestReceiver, summary, svixSignature, Transcript, waitFor
} from './support.js'

const ENV = {
  HG_REL_CLERK_SECRET: SECRETS.clerk,
  HG_REL_CHAINDOC_SECRET: SECRETS.chaindoc,
  HG_REL_ADMIN_TOKEN: SECRETS.adminToken,
  HG_REL_DESTINATION_SECRET: SECRETS.destinationSigning,
  HG_REL_DESTINATION_BEARER: SECRETS.destinationBearer
}

function configWith (dir: string, receiverUrl: string, level: string): string {
  return writeConfig(dir, {
    server: { host: '127.0.0.1', port: 0, bodyLimitBytes: BODY_LIMIT_BYTES },
    storage: { path: dbPathIn(dir) },
    sources: {
      clerk: { provider: 'clerk', secret: '${HG_REL_CLERK_SECRET}' },
      chaindoc: { provider: 'chaindoc', secret: '${HG_REL_CHAINDOC_SECRET}' }
    },
    destinations: {
      hooks: { url: receiverUrl, signingSecret: '${HG_REL_DESTINATION_SECRET}', headers: { authorization: '${HG_REL_DESTINATION_BEARER}' } }
    },
    delivery: { pollIntervalMs: 100 },
    admin: { token: '${HG_REL_ADMIN_TOKEN}' },
    metrics: { requireToken: true },
    logging: { level }
  })
}

/** Runs a hookgate subcommand to completion (20 s at most); its stdout and stderr together. */
function cli (args: string[], env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  const root = packageRoot()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c: Buffer) => { output += String(c) })
    child.stderr.on('data', (c: Buffer) => { output += String(c) })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, output }) })
  })
}

const admin = { authorization: `Bearer ${SECRETS.adminToken}` }

t.test('no secret or token in any log line, answer or CLI output, at debug level', async (t) => {
  const dir = t.testdir()
  const transcript = new Transcript()
  const receiver = await startTestReceiver(t, answerAfter(0))
  const configFile = configWith(dir, receiver.url, 'debug')
  const gateway = await startChildGateway(configFile, ENV)
  t.teardown(() => { if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL') })
  const port = Number(new URL(gateway.url).port)
  const answers = new Map<string, number>()
  const sentSignatures: string[] = []
  const call = async (label: string, path: string, init: { method?: string, headers?: Record<string, string>, body?: string } = {}) => {
    const res = await request(gateway.url + path, { method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body })
    const text = await res.body.text()
    transcript.add(JSON.stringify(res.headers) + '\n' + text)
    answers.set(label, res.statusCode)
    return { status: res.statusCode, text }
  }

  // Genuine traffic from both providers and all three schemes.
  const eventIds: string[] = []
  for (let i = 0; i < 5; i++) {
    const g = genuineClerk()
    sentSignatures.push(g.headers['svix-signature'] ?? '')
    const { text } = await call(`clerk ${i}`, '/webhooks/clerk', { method: 'POST', headers: g.headers, body: g.body })
    eventIds.push((JSON.parse(text) as { id: string }).id)
  }
  const chaindocBody = sampleEvent('chaindoc', 'document.created', Date.now())
  const chaindocHeaders = signChaindoc({ timestampIso: new Date().toISOString(), body: chaindocBody, secret: SECRETS.chaindoc })
  sentSignatures.push(chaindocHeaders['x-chaindoc-signature'])
  await call('chaindoc', '/webhooks/chaindoc', { method: 'POST', headers: chaindocHeaders, body: chaindocBody })
  const legacyBody = JSON.stringify({ event: 'document.created', data: { documentId: randomUUID() } })
  const legacyHeaders = signChaindocLegacy({ body: legacyBody, event: 'document.created', secret: SECRETS.chaindoc })
  sentSignatures.push(legacyHeaders['x-webhook-signature'])
  await call('chaindoc legacy', '/webhooks/chaindoc', { method: 'POST', headers: legacyHeaders, body: legacyBody })

  // Refused traffic, some of it carrying the admin token where it does not belong.
  const forged = genuineClerk()
  const ts = Number(forged.headers['svix-timestamp'])
  const wrongSecret = svixSignature('whsec_' + randomBytes(32).toString('base64'), forged.svixId, ts, Buffer.from(forged.body))
  await call('wrong secret', '/webhooks/clerk', { method: 'POST', headers: { ...forged.headers, 'svix-signature': wrongSecret }, body: forged.body })
  await call('admin token sent to ingest', '/webhooks/clerk', { method: 'POST', headers: { ...forged.headers, 'svix-signature': wrongSecret, ...admin }, body: forged.body })
  await call('stale', '/webhooks/clerk', { method: 'POST', headers: { ...forged.headers, 'svix-timestamp': String(ts - 3600) }, body: forged.body })
  await call('not JSON', '/webhooks/clerk', { method: 'POST', headers: { ...forged.headers, 'svix-signature': svixSignature(SECRETS.clerk, forged.svixId, ts, Buffer.from('nope')) }, body: 'nope' })
  await call('unknown source', '/webhooks/nope', { method: 'POST', headers: forged.headers, body: forged.body })
  await call('over the limit', '/webhooks/clerk', { method: 'POST', headers: forged.headers, body: 'x'.repeat(BODY_LIMIT_BYTES + 1) })
  await call('chaindoc forged', '/webhooks/chaindoc', { method: 'POST', headers: signChaindoc({ timestampIso: new Date().toISOString(), body: chaindocBody, secret: 'x' + SECRETS.chaindoc }), body: chaindocBody })
  for (const raw of [
    rawHttp('/webhooks/clerk', [['authorization', `Bearer ${SECRETS.adminToken}`], ['x-bad', 'a\x01b'], ['content-length', '0']]),
    rawHttp('/admin/events', [['authorization', `Bearer ${SECRETS.adminToken}`], ['x-pad', 'a'.repeat(17_000)]])
  ]) {
    const answer = await rawRequest(port, [raw])
    transcript.add(answer.head + '\n' + answer.body)
  }

  // Deliveries carry the destination's bearer and signature to the receiver, where they belong.
  t.ok(await waitFor(() => receiver.requests.length >= eventIds.length + 2, 20_000), 'the genuine events were delivered')
  t.equal(receiver.requests[0]?.headers.authorization, SECRETS.destinationBearer, 'the receiver got the configured bearer')

  // The admin API and /metrics, with and without the token.
  await call('events', '/admin/events?limit=100', { headers: admin })
  await call('event', `/admin/events/${eventIds[0]}`, { headers: admin })
  await call('replay', `/admin/events/${eventIds[1]}/replay`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '{}' })
  await call('deliveries', '/admin/deliveries?limit=100', { headers: admin })
  await call('destinations', '/admin/destinations', { headers: admin })
  await call('rejections', '/admin/rejections?limit=100', { headers: admin })
  await call('openapi', '/admin/openapi.json', { headers: admin })
  await call('metrics', '/metrics', { headers: admin })
  await call('admin, wrong token', '/admin/events', { headers: { authorization: 'Bearer ' + 'x'.repeat(40) } })
  await call('metrics, no token', '/metrics')
  await call('health', '/health/ready')
  t.match(Object.fromEntries(answers), {
    events: 200, event: 200, replay: 202, deliveries: 200, destinations: 200, rejections: 200, openapi: 200, metrics: 200,
    'admin, wrong token': 401, 'metrics, no token': 401, 'wrong secret': 401, 'admin token sent to ingest': 401
  }, 'the admin calls did what they should')

  // The CLI, as an operator runs it: token from the environment.
  const url = gateway.url
  for (const args of [['check-config', '--config', configFile], ['events', '--url', url, '--json'], ['events', '--url', url], ['send', 'clerk', '--url', url, '--config', configFile]]) {
    const { code, output } = await cli(args, { ...ENV, HOOKGATE_ADMIN_TOKEN: SECRETS.adminToken })
    transcript.add(output)
    t.equal(code, 0, `hookgate ${args[0]} exits 0`)
  }

  gateway.child.kill('SIGTERM')
  t.equal(await gateway.exited, 0, 'the gateway stops cleanly')
  const logs = gateway.output.join('')
  transcript.add(logs)
  transcript.check(t, 'secrets')
  const loggedSignatures = sentSignatures.filter((sig) => logs.includes(sig.replace(/^v1[,=]/, '')))
  t.same(loggedSignatures, [], 'no inbound signature header reaches the log (headers are never logged)')
  summary('secrets', {
    'log lines': logs.split('\n').length,
    answers: answers.size + 2,
    'cli runs': 4,
    secrets: Object.keys(SECRETS).length,
    found: transcript.leaks().length
  })
})

t.test('at trace level, raw bytes of a request Node could not parse go to the log, admin token included', async (t) => {
  // Fastify's default clientErrorHandler logs { err } at trace, and the error
  // carries rawPacket: the request's bytes, headers and all, as pino prints a
  // Buffer. A client whose request has one bad byte leaks its Authorization.
  const dir = t.testdir()
  const transcript = new Transcript()
  const receiver = await startTestReceiver(t, answerAfter(0))
  const gateway = await startChildGateway(configWith(dir, receiver.url, 'trace'), ENV)
  t.teardown(() => { if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL') })
  const answer = await rawRequest(Number(new URL(gateway.url).port), [rawHttp('/admin/events', [['authorization', `Bearer ${SECRETS.adminToken}`], ['x-bad', 'a\x01b']])])
  transcript.add(answer.body)
  gateway.child.kill('SIGTERM')
  await gateway.exited
  transcript.add(gateway.output.join(''))
  t.equal(answer.status, 400)
  t.same(transcript.leaks(), [], 'no secret in the trace log')
})

t.test('configuration errors name the key, never the secret', async (t) => {
  const dir = t.testdir()
  const bad = {
    clerk: 'whsec_' + randomBytes(8).toString('base64'), // decodes to 8 bytes: refused as too short
    destination: 'whsec_' + 'not base64!' + randomBytes(8).toString('hex'),
    admin: 'short-' + randomBytes(3).toString('hex') // under the 16 characters an admin token needs
  }
  const file = writeConfig(dir, {
    server: { host: '127.0.0.1', port: 0 },
    storage: { path: dbPathIn(dir) },
    sources: { clerk: { provider: 'clerk', secret: bad.clerk } },
    destinations: { hooks: { url: 'http://127.0.0.1:9/hooks', signingSecret: bad.destination } },
    admin: { token: bad.admin }
  })
  const transcript = new Transcript()
  for (const command of ['check-config', 'start']) {
    const { code, output } = await cli([command, '--config', file], {})
    transcript.add(output)
    t.equal(code, 1, `${command} refuses the configuration`)
    t.match(output, /HG_ERR_CONFIG_INVALID|Invalid configuration/, `${command} says why`)
  }
  t.same(transcript.leaks(Object.values(bad)), [], 'the message does not quote the bad secrets')
})
