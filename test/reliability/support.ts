/**
 * Shared by the reliability areas: secrets unique to this run, signed
 * requests, a raw-socket client for what undici refuses to send, a transcript
 * of everything the gateway said (logs and answers) for the secrets check,
 * and the one-line summary each area prints.
 */
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Test } from 'tap'
import type { Pool } from 'undici'
import type { ProviderName } from '../../providers/index.js'
import { sampleEvent } from '../../providers/samples.js'
import { signClerk } from '../../providers/sign.js'
import { writeConfig } from '../child-gateway.js'

/** Fresh per process, so finding one in a log can only mean the gateway wrote it. */
/** Discord signs with its private key; the source holds the public one (not a secret, so not in SECRETS). */
export const DISCORD_KEYS = generateKeyPairSync('ed25519')
export const DISCORD_PUBLIC_HEX = (DISCORD_KEYS.publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32).toString('hex')

export const SECRETS = Object.freeze({
  clerk: 'whsec_' + randomBytes(32).toString('base64'),
  chaindoc: 'chaindoc-' + randomBytes(24).toString('hex'),
  'standard-webhooks': 'whsec_' + randomBytes(32).toString('base64'),
  github: 'github-' + randomBytes(20).toString('hex'),
  stripe: 'whsec_' + randomBytes(24).toString('hex'),
  shopify: 'shpss_' + randomBytes(16).toString('hex'),
  hmac: 'hmac-' + randomBytes(20).toString('hex'),
  gitlab: 'gitlab-' + randomBytes(20).toString('hex'),
  linear: 'lin_wh_' + randomBytes(20).toString('hex'),
  paddle: 'pdl_ntfset_' + randomBytes(20).toString('hex'),
  square: 'sq-' + randomBytes(20).toString('base64url'),
  twilio: randomBytes(16).toString('hex'),
  slack: randomBytes(16).toString('hex'),
  meta: 'meta-' + randomBytes(16).toString('hex'),
  zoom: 'zoom-' + randomBytes(16).toString('base64url'),
  metaVerifyToken: 'verify-' + randomBytes(16).toString('hex'),
  adminToken: 'admin-' + randomBytes(24).toString('hex'),
  destinationSigning: 'whsec_' + randomBytes(32).toString('base64'),
  destinationBearer: 'Bearer dst-' + randomBytes(16).toString('hex')
})

/** Every string that must never appear in a log line or an answer. */
export function secretNeedles (): string[] {
  const needles = new Set<string>()
  for (const value of Object.values(SECRETS)) {
    needles.add(value)
    if (value.startsWith('whsec_')) needles.add(value.slice('whsec_'.length))
    if (value.startsWith('Bearer ')) needles.add(value.slice('Bearer '.length))
  }
  return [...needles]
}

/** The providers whose bad-input classes come from their sample signer (bad-input.test.ts providerClasses). */
export const SIGNED_PROVIDERS = ['standard-webhooks', 'github', 'stripe', 'shopify', 'hmac', 'gitlab', 'linear', 'paddle', 'square', 'twilio', 'zoom'] as const satisfies readonly ProviderName[]

/** The per-source options of those that need them, as the config gives them. */
export const SOURCE_OPTIONS: Partial<Record<ProviderName, Record<string, unknown>>> = Object.freeze({
  square: { publicUrl: 'https://hooks.example.com/webhooks/square' },
  twilio: { publicUrl: 'https://hooks.example.com/webhooks/twilio' },
  hmac: { header: 'x-acme-signature', prefix: 'sha256=', signed: '{timestamp}.{body}', timestampHeader: 'x-acme-timestamp', dedupPointer: '/id' }
})

export const BODY_LIMIT_BYTES = 64 * 1024

/** A child gateway's YAML: both sources on this run's secrets, on 127.0.0.1:0. */
export function gatewayConfigFile (dir: string, dbPath: string, extra: Record<string, unknown> = {}, server: Record<string, unknown> = {}): string {
  return writeConfig(dir, {
    server: { host: '127.0.0.1', port: 0, bodyLimitBytes: BODY_LIMIT_BYTES, shutdownGraceMs: 2000, ...server },
    storage: { path: dbPath },
    sources: {
      clerk: { provider: 'clerk', secret: SECRETS.clerk, toleranceSeconds: 300 },
      chaindoc: { provider: 'chaindoc', secret: SECRETS.chaindoc },
      ...Object.fromEntries(SIGNED_PROVIDERS.map((provider) => [provider, { provider, secret: SECRETS[provider], ...(SOURCE_OPTIONS[provider] === undefined ? {} : { options: SOURCE_OPTIONS[provider] }) }])),
      slack: { provider: 'slack', secret: SECRETS.slack },
      discord: { provider: 'discord', secret: DISCORD_PUBLIC_HEX },
      meta: { provider: 'meta', secret: SECRETS.meta, options: { verifyToken: SECRETS.metaVerifyToken } }
    },
    logging: { level: 'info' },
    ...extra
  })
}

export interface SignedRequest {
  readonly svixId: string
  readonly headers: Record<string, string>
  readonly body: string
}

/**
 * A genuine Clerk webhook with a fresh svix id, signed by svix itself; about
 * a user of its own, or `about.userId` (Clerk's subject is `data.id`).
 */
export function genuineClerk (now = Date.now(), about?: { readonly userId: string, readonly type: string }): SignedRequest {
  const svixId = `msg_${randomUUID()}`
  const body = about === undefined ? sampleEvent('clerk', 'user.created', now) : aboutUser(sampleEvent('clerk', about.type, now), about.userId)
  return { svixId, body, headers: signClerk({ id: svixId, timestampSec: Math.floor(now / 1000), body, secret: SECRETS.clerk }) }
}

function aboutUser (body: string, userId: string): string {
  const event = JSON.parse(body) as { data: Record<string, unknown> }
  return JSON.stringify({ ...event, data: { ...event.data, id: userId } })
}

/** Svix's scheme over arbitrary bytes (signClerk refuses bytes that are not UTF-8). */
export function svixSignature (secret: string, id: string, timestampSec: number, body: Buffer): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestampSec}.`).update(body).digest('base64')
}

export interface RawAnswer {
  /** null when the connection closed (or timed out) without a status line. */
  readonly status: number | null
  readonly head: string
  readonly body: string
  readonly error?: string
}

/**
 * Writes bytes to a socket as they are (undici refuses malformed requests,
 * which is the point here) and reads one answer until the server closes or
 * the Content-Length is in. `chunks` with a delay between them dribble a body;
 * `halfClose` ends our side once they are written, as a client that gave up.
 */
export function rawRequest (port: number, chunks: readonly Buffer[], options: { delayMs?: number, timeoutMs?: number, halfClose?: boolean } = {}): Promise<RawAnswer> {
  const { delayMs = 0, timeoutMs = 10_000, halfClose = false } = options
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const received: Buffer[] = []
    let done = false
    const finish = (error?: string) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ ...parseAnswer(Buffer.concat(received)), ...(error === undefined ? {} : { error }) })
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    socket.on('data', (chunk) => {
      received.push(chunk)
      const answer = parseAnswer(Buffer.concat(received))
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(answer.head)?.[1]
      if (answer.status !== null && length !== undefined && Buffer.byteLength(answer.body) >= Number(length)) finish()
    })
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message))
    socket.on('close', () => finish())
    socket.on('connect', async () => {
      for (const [i, chunk] of chunks.entries()) {
        if (done || socket.destroyed) return
        if (i > 0 && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
        socket.write(chunk)
      }
      if (halfClose && !done) socket.end()
    })
  })
}

function parseAnswer (bytes: Buffer): { status: number | null, head: string, body: string } {
  const text = bytes.toString('latin1')
  const end = text.indexOf('\r\n\r\n')
  const head = end === -1 ? text : text.slice(0, end)
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]
  return { status: status === undefined ? null : Number(status), head, body: end === -1 ? '' : text.slice(end + 4) }
}

/** A request as bytes: start line, headers given as [name, value] pairs (duplicates allowed), body. */
export function rawHttp (path: string, headers: ReadonlyArray<readonly [string, string]>, body: Buffer | string = ''): Buffer {
  const head = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close', ...headers.map(([k, v]) => `${k}: ${v}`)].join('\r\n')
  return Buffer.concat([Buffer.from(head + '\r\n\r\n', 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body)])
}

/** Everything the gateway said during an area: log lines and answer bodies. */
export class Transcript {
  readonly #parts: string[] = []
  add (text: string): void { this.#parts.push(text) }
  get size (): number { return this.#parts.length }

  /**
   * Each secret found, with a little context, so a failure says where. Also
   * looked for as pino writes a Buffer (`"data":[104,111,…]`), the form raw
   * request bytes take in a serialized error.
   */
  leaks (extra: readonly string[] = []): string[] {
    const all = this.#parts.join('\n')
    return [...secretNeedles(), ...extra].flatMap((needle) => [needle, [...Buffer.from(needle)].join(',')].flatMap((form) => {
      const at = all.indexOf(form)
      return at === -1 ? [] : [`…${all.slice(Math.max(0, at - 120), at)}<SECRET${form === needle ? '' : ' as bytes'}>…`]
    }))
  }

  /** The area's closing check: no configured secret or token in anything the gateway said. */
  check (t: Test, area: string, extra: readonly string[] = []): void {
    t.same(this.leaks(extra), [], `${area}: no secret or token in ${this.size} log chunks and answers`)
  }
}

/** Resident set size of a process in kB, from /proc. */
export function rssKb (pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match === null ? Number.NaN : Number(match[1])
}

/** event id by dedup key, read from the file as another process would (read-only). */
export function storedEvents (dbPath: string): Map<string, string> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    const rows = db.prepare('SELECT dedup_key AS key, id FROM events').all() as Array<{ key: string, id: string }>
    return new Map(rows.map((r) => [r.key, r.id]))
  } finally {
    db.close()
  }
}

/** One line per area, on stderr: tap passes it through whatever the reporter. */
export function summary (area: string, counts: Record<string, number | string>): string {
  const line = `${area}: ` + Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')
  process.stderr.write(line + '\n')
  return line
}

export function dbPathIn (dir: string): string {
  return join(dir, 'hookgate.db')
}

/** Polls `check` until it holds or the deadline passes; child-process tests only. */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, stepMs))
  }
  return check()
}

export interface Acked { readonly request: SignedRequest, readonly id: string }

export interface LoadResult {
  tried: number
  /** 2xx answers, by svix id. */
  readonly acked: Map<string, Acked>
  /** No answer: the connection died with the gateway. */
  unanswered: number
  /** Answers that were neither 2xx nor a connection error, by status. */
  readonly otherStatuses: Map<number, number>
}

/**
 * Keeps `concurrency` signed webhooks in flight until `stop()` resolves or
 * `maxRequests` have been tried, recording every 2xx answer.
 */
export async function runLoad (pool: Pool, options: { concurrency: number, maxRequests: number, stop: Promise<unknown>, transcript: Transcript, onAcknowledged?: () => void }): Promise<LoadResult> {
  const result: LoadResult = { tried: 0, acked: new Map(), unanswered: 0, otherStatuses: new Map() }
  let stopped = false
  options.stop.then(() => { stopped = true }, () => { stopped = true })
  const worker = async () => {
    while (!stopped && result.tried < options.maxRequests) {
      result.tried++
      const request = genuineClerk()
      try {
        const res = await pool.request({ path: '/webhooks/clerk', method: 'POST', headers: request.headers, body: request.body })
        const text = await res.body.text()
        options.transcript.add(text)
        if (res.statusCode >= 200 && res.statusCode < 300) {
          result.acked.set(request.svixId, { request, id: (JSON.parse(text) as { id: string }).id })
          options.onAcknowledged?.()
        }
        else result.otherStatuses.set(res.statusCode, (result.otherStatuses.get(res.statusCode) ?? 0) + 1)
      } catch {
        result.unanswered++
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return result
}

/** Sends each request again; resolves with the answers by svix id (null: no answer). */
export async function resend (pool: Pool, requests: readonly SignedRequest[], concurrency: number, transcript: Transcript): Promise<Map<string, { status: number, id?: string, duplicate?: boolean } | null>> {
  const answers = new Map<string, { status: number, id?: string, duplicate?: boolean } | null>()
  let next = 0
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++]!
      try {
        const res = await pool.request({ path: '/webhooks/clerk', method: 'POST', headers: request.headers, body: request.body })
        const text = await res.body.text()
        transcript.add(text)
        answers.set(request.svixId, { status: res.statusCode, ...(res.statusCode === 200 ? JSON.parse(text) as { id: string, duplicate: boolean } : {}) })
      } catch {
        answers.set(request.svixId, null)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return answers
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export interface Delivered {
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** The gateway's event id: the CloudEvents `id` of the body. */
  readonly eventId: string
  /** The status the receiver finished answering with; null while none (hanging, or reset). */
  status: number | null
}

/** How the receiver answers its n-th request (0-based): any mix of status, delay, reset or silence. */
export type Behaviour = (request: Delivered, response: ServerResponse, index: number) => void

export interface TestReceiver {
  readonly url: string
  readonly port: number
  readonly requests: Delivered[]
  /** How many times each event id arrived. */
  counts (): Map<string, number>
  /**
   * Arrivals beyond the first that the receiver may have acted on: answered
   * 2xx, or never answered (it got the body; the gateway never heard back).
   * Those it refused with a status are not duplicates.
   */
  duplicates (): number
  /** Stops listening and drops every connection (the receiver is down). */
  stop (): Promise<void>
  /** Listens again on the same port. */
  restart (): Promise<void>
}

/**
 * A downstream service on 127.0.0.1 that records each request's event id and
 * answers as `behave` says; stopped in teardown.
 */
export async function startTestReceiver (t: Test, behave: Behaviour): Promise<TestReceiver> {
  const requests: Delivered[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      let eventId = ''
      try { eventId = String((JSON.parse(body.toString()) as { id?: unknown }).id) } catch {}
      const delivered: Delivered = { headers: req.headers, body, eventId, status: null }
      res.on('finish', () => { delivered.status = res.statusCode })
      behave(delivered, res, requests.push(delivered) - 1)
    })
  })
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  await listen(0)
  const { port } = server.address() as AddressInfo
  let listening = true
  const stop = async () => {
    if (!listening) return
    listening = false
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await closed
  }
  t.teardown(stop)
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    requests,
    counts: () => {
      const counts = new Map<string, number>()
      for (const r of requests) counts.set(r.eventId, (counts.get(r.eventId) ?? 0) + 1)
      return counts
    },
    duplicates: () => {
      const acted = new Map<string, number>()
      for (const r of requests) if (r.status === null || (r.status >= 200 && r.status < 300)) acted.set(r.eventId, (acted.get(r.eventId) ?? 0) + 1)
      return [...acted.values()].reduce((n, c) => n + c - 1, 0)
    },
    stop,
    restart: async () => { await listen(port); listening = true }
  }
}

/** Answers 200 after `delayMs`. */
export const answerAfter = (delayMs: number, status = 200): Behaviour => (_request, response) => {
  setTimeout(() => { if (!response.destroyed) response.writeHead(status).end('ok') }, delayMs)
}
