// A server under test runs in its own child, pinned to core 0 when taskset
// exists (the load generator holds core 1). Its RSS is read from /proc.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pinnedCommand, threadCpuSeconds } from './machine.js'

export interface ServerProcess {
  readonly name: string
  readonly pid: number
  readonly baseUrl: string
  memory (): Memory
  /** CPU time (user + system) used so far, in seconds, by thread id. */
  threadCpuSeconds (): Map<number, number>
  stop (): Promise<void>
}

/** MiB from /proc/<pid>/status: VmRSS now, VmHWM the peak so far. */
export interface Memory {
  rssMiB: number
  peakMiB: number
}

export interface StartOptions {
  name: string
  /** node arguments: script and its flags. */
  args: readonly string[]
  port: number
  env?: Record<string, string>
  /** A core, or a taskset list such as '0,1'. */
  core?: number | string
  readyTimeoutMs?: number
}

export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** A baseline server from bench/servers/, built to dist/bench/servers/ (bench/tsconfig.json). */
export async function startBaseline (name: string, script: string, env: Record<string, string>): Promise<ServerProcess> {
  return startServer({ name, args: [join('dist/bench/servers', script)], port: await freePort(), env })
}

export async function startServer (options: StartOptions): Promise<ServerProcess> {
  const { name, args, port, env = {}, core = 0, readyTimeoutMs = 20_000 } = options
  const [command, argv] = pinnedCommand(core, [process.execPath, ...args])
  // stdout (pino's JSON lines) goes to /dev/null; stderr is kept to explain a failed start.
  const child = spawn(command, argv, { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const baseUrl = `http://127.0.0.1:${port}`
  const ready = await waitReady(baseUrl, exited, readyTimeoutMs)
  if (!ready) {
    child.kill('SIGKILL')
    throw new Error(`${name} did not become ready on ${baseUrl}\n${stderr}`)
  }
  const pid = child.pid ?? 0
  return {
    name,
    pid,
    baseUrl,
    memory: () => readMemory(pid),
    threadCpuSeconds: () => threadCpuSeconds(pid),
    stop: () => stopChild(child, exited)
  }
}

async function waitReady (baseUrl: string, exited: Promise<number | null>, timeoutMs: number): Promise<boolean> {
  let gone = false
  void exited.then(() => { gone = true })
  const deadline = Date.now() + timeoutMs
  while (!gone && Date.now() < deadline) {
    if (await getStatus(`${baseUrl}/health/ready`) === 200) return true
    await sleep(50)
  }
  return false
}

export function getStatus (url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) })
    req.on('error', () => resolve(0))
    req.end()
  })
}

async function stopChild (child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

function readMemory (pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 }
}
