import { request } from 'undici'
import { systemClock, type Clock } from '../clock.js'
import { loadConfig, type Config } from '../config/load.js'

/** Where a command writes, the environment and the time it reads: process's by default, captured in tests. */
export interface Io {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  readonly env: NodeJS.ProcessEnv
  /** What `send` signs with: a client's wall clock, as a real sender's (the gateway checks it against its own). */
  readonly clock: Clock
}

export const processIo: Io = {
  out: (text) => { process.stdout.write(text) },
  err: (text) => { process.stderr.write(text) },
  env: process.env,
  clock: systemClock
}

/** A usage mistake: the command prints it and exits 2. */
export class UsageError extends Error {}

/** An answer that was not 2xx, or no answer at all: printed, exit 1. */
export class ApiError extends Error {
  constructor (message: string, readonly body?: unknown) { super(message) }
}

/** The config file when one is named (--config or HOOKGATE_CONFIG), else null: admin commands can run on env vars alone. */
export async function optionalConfig (values: { config?: string | boolean | undefined }, env: NodeJS.ProcessEnv): Promise<Config | null> {
  const file = typeof values.config === 'string' ? values.config : env.HOOKGATE_CONFIG
  return file === undefined || file === '' ? null : await loadConfig(file, env)
}

/**
 * The gateway's URL: --url, then HOOKGATE_URL, then the config's port on this
 * machine (a gateway listening on 0.0.0.0 is reached on 127.0.0.1).
 */
export function gatewayUrl (flag: string | undefined, env: NodeJS.ProcessEnv, config: Config | null): string {
  const url = flag ?? env.HOOKGATE_URL ?? (config === null ? undefined : `http://${localHost(config.server.host)}:${config.server.port}`)
  return (url ?? 'http://127.0.0.1:8080').replace(/\/+$/, '')
}

function localHost (host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

export interface AdminTarget { readonly url: string, readonly token: string }

/**
 * URL and token for the admin API. The token comes from HOOKGATE_ADMIN_TOKEN
 * or the config, never from a flag: flags show in `ps` and shell history.
 */
export async function adminTarget (values: { url?: string | boolean | undefined, config?: string | boolean | undefined }, env: NodeJS.ProcessEnv): Promise<AdminTarget> {
  const config = await optionalConfig(values, env)
  const token = env.HOOKGATE_ADMIN_TOKEN || config?.admin.token
  if (token === undefined || token === '') throw new UsageError('no admin token: set HOOKGATE_ADMIN_TOKEN, or admin.token in the file given by --config / HOOKGATE_CONFIG')
  return { url: gatewayUrl(typeof values.url === 'string' ? values.url : undefined, env, config), token }
}

/** One admin API call; the parsed JSON answer, or an ApiError naming the code the gateway gave. */
export async function callAdmin (target: AdminTarget, method: 'GET' | 'POST', path: string, body?: object): Promise<unknown> {
  let res
  try {
    res = await request(target.url + path, {
      method,
      headers: { authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 30_000
    })
  } catch (err) {
    throw new ApiError(`cannot reach ${target.url}: ${(err as Error).message}`)
  }
  const text = await res.body.text()
  let json: unknown
  try { json = JSON.parse(text) } catch { json = undefined }
  if (res.statusCode >= 200 && res.statusCode < 300 && json !== undefined) return json
  const answer = json as { code?: string, message?: string } | undefined
  throw new ApiError(`${res.statusCode} ${answer?.code ?? ''} ${answer?.message ?? text.slice(0, 200)}`.replace(/\s+/g, ' ').trim(), json)
}

/**
 * Runs a command body with the shared error handling: usage mistakes exit 2,
 * API failures 1 (with the gateway's JSON on stdout under --json, so a script
 * sees the code).
 */
export async function runCommand (name: string, io: Io, json: boolean, body: () => Promise<void>): Promise<number> {
  try {
    await body()
    return 0
  } catch (err) {
    if (err instanceof ApiError && json && err.body !== undefined) io.out(JSON.stringify(err.body) + '\n')
    io.err(`hookgate ${name}: ${(err as Error).message}\n`)
    const usage = err instanceof UsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
    return usage ? 2 : 1
  }
}
