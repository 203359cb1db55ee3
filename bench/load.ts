// Two ways to load a server with pre-signed requests.
// - closedLoop: autocannon, N connections each sending its next request as soon
//   as the previous one is answered: the most the server can take.
// - paced: an open-loop sender at a fixed rate, each request timed from the
//   moment it was due. autocannon's own rate limit is not used for this: it
//   lets every connection send its whole per-second quota back to back at the
//   top of each second (lib/httpClient.js, reqsMadeThisSecond), which measures
//   a burst, not a steady 1000 req/s.
import { Agent, request } from 'node:http'
import autocannon from 'autocannon'
import type { Pool, SignedRequest } from './requests.js'
import { summarise, type LatencySummary } from './stats.js'

export interface LoadResult {
  seconds: number
  ok: number
  non2xx: number
  errors: number
  requestsPerSecond: number
  latency: LatencySummary
  /** Every 2xx latency, so that rounds can be pooled before taking percentiles. */
  latenciesMs: number[]
  /** The pool ran out before the time was up; the run stopped early. */
  poolExhausted: boolean
  /** Paced only: requests never sent because the server fell too far behind. */
  notSent: number
  /** Paced only: how late the sender itself wrote each request (its own GC, timers). Part of the latency. */
  sendLagMs: number[]
}

export interface ClosedLoopOptions {
  connections: number
  seconds?: number
  /** Stop after this many answers instead of after `seconds`. */
  amount?: number
}

export function closedLoop (baseUrl: string, pool: Pool, options: ClosedLoopOptions): Promise<LoadResult> {
  const latencies: number[] = []
  let ok = 0
  let non2xx = 0
  let poolExhausted = false
  let last: SignedRequest | undefined
  const startedAt = performance.now()
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: baseUrl,
      connections: options.connections,
      ...(options.amount === undefined ? { duration: options.seconds ?? 10 } : { amount: options.amount }),
      timeout: 30,
      requests: [{
        method: 'POST',
        setupRequest (req) {
          const next = pool.next()
          if (next === undefined && !poolExhausted) {
            poolExhausted = true
            setImmediate(() => instance.stop())
          }
          // Past the end a connection resends the last request once, until stop() lands.
          last = next ?? last
          if (last === undefined) return req
          return { ...req, path: last.path, headers: { ...last.headers }, body: last.body }
        }
      }]
    }, (err, result) => {
      if (err !== null) return reject(err)
      const seconds = (performance.now() - startedAt) / 1000
      resolve({
        seconds,
        ok,
        non2xx,
        errors: result.errors + result.timeouts,
        requestsPerSecond: ok / seconds,
        latency: summarise(latencies),
        latenciesMs: latencies,
        poolExhausted,
        notSent: 0,
        sendLagMs: []
      })
    })
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++
        latencies.push(responseTimeMs)
      } else {
        non2xx++
      }
    })
  })
}

export interface PacedOptions {
  ratePerSecond: number
  /** Sockets the sender may open (a keep-alive pool); requests wait for one past that. */
  connections: number
  /** Busy-wait between sends for sub-millisecond timing; leave off when another process shares the core. */
  spin: boolean
  /** Called with the answer body and the epoch time (ms, sub-ms precision) it completed. */
  onAck?: (body: string, ackEpochMs: number) => void
}

/** A server this far behind (in seconds of requests unanswered) cannot hold the rate: stop sending. */
const MAX_BACKLOG_SECONDS = 2
const REQUEST_TIMEOUT_MS = 30_000

export function paced (baseUrl: string, requests: readonly SignedRequest[], options: PacedOptions): Promise<LoadResult> {
  const { hostname, port } = new URL(baseUrl)
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  const intervalMs = 1000 / options.ratePerSecond
  const latencies: number[] = []
  const sendLagMs: number[] = []
  let ok = 0
  let non2xx = 0
  let errors = 0
  let sent = 0
  let settled = 0
  let last = requests.length
  const maxBacklog = options.ratePerSecond * MAX_BACKLOG_SECONDS
  const startAt = performance.now() + 10

  return new Promise((resolve) => {
    function finishOne (): void {
      settled++
      if (settled >= last) finish()
    }

    function finish (): void {
      agent.destroy()
      const seconds = (performance.now() - startAt) / 1000
      resolve({ seconds, ok, non2xx, errors, requestsPerSecond: ok / seconds, latency: summarise(latencies), latenciesMs: latencies, poolExhausted: false, notSent: requests.length - last, sendLagMs })
    }

    function send (index: number, signed: SignedRequest): void {
      const dueAt = startAt + index * intervalMs
      sendLagMs.push(performance.now() - dueAt)
      const req = request({
        host: hostname,
        port,
        method: 'POST',
        path: signed.path,
        headers: { ...signed.headers, 'content-length': String(signed.body.length) },
        agent
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const doneAt = performance.now()
          const status = res.statusCode ?? 0
          if (status >= 200 && status < 300) {
            ok++
            latencies.push(doneAt - dueAt)
            options.onAck?.(Buffer.concat(chunks).toString(), performance.timeOrigin + doneAt)
          } else {
            non2xx++
          }
          finishOne()
        })
      })
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timed out')))
      req.on('error', () => { errors++; finishOne() })
      req.end(signed.body)
    }

    function tick (): void {
      const now = performance.now()
      while (sent < last && startAt + sent * intervalMs <= now) {
        if (sent - settled > maxBacklog) {
          // Open loop would queue without end; what was sent still shows the latency.
          last = sent
          if (settled >= last) finish()
          return
        }
        const signed = requests[sent]
        if (signed !== undefined) send(sent, signed)
        sent++
      }
      if (sent < last) {
        if (options.spin) setImmediate(tick)
        else setTimeout(tick, 1)
      }
    }

    if (requests.length === 0) resolve({ seconds: 0, ok, non2xx, errors, requestsPerSecond: 0, latency: summarise([]), latenciesMs: [], poolExhausted: false, notSent: 0, sendLagMs })
    else tick()
  })
}

/** Several runs of one phase as one: counts and time add up, percentiles over every answer. */
export function mergeLoads (results: readonly LoadResult[]): LoadResult {
  const sum = (pick: (r: LoadResult) => number): number => results.reduce((total, r) => total + pick(r), 0)
  const seconds = sum((r) => r.seconds)
  const ok = sum((r) => r.ok)
  const latenciesMs = results.flatMap((r) => r.latenciesMs)
  return {
    seconds,
    ok,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    requestsPerSecond: ok / seconds,
    latency: summarise(latenciesMs),
    latenciesMs,
    poolExhausted: results.some((r) => r.poolExhausted),
    notSent: sum((r) => r.notSent),
    sendLagMs: results.flatMap((r) => r.sendLagMs)
  }
}
