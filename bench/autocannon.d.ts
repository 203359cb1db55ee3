// The few parts of autocannon 8's programmatic API the bench uses. autocannon
// ships no types and @types/autocannon is not a dependency; without this file
// `tsc` (which includes bench/) fails on an implicitly-any module.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  export interface RequestParams {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string | Buffer
  }

  export interface Request extends RequestParams {
    /** Called before each request is built; returning a falsy value restarts the list. */
    setupRequest?: (req: RequestParams, context: Record<string, unknown>) => RequestParams | undefined
  }

  export interface Options {
    url: string
    connections?: number
    pipelining?: number
    duration?: number
    amount?: number
    timeout?: number
    method?: string
    headers?: Record<string, string>
    requests?: Request[]
  }

  export interface Histogram {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    total: number
    p50: number
    p99: number
  }

  export interface Result {
    duration: number
    requests: Histogram
    latency: Histogram
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
    resets: number
  }

  export interface Instance extends EventEmitter {
    stop (): void
  }

  function autocannon (opts: Options, cb: (err: Error | null, result: Result) => void): Instance
  export default autocannon
}
