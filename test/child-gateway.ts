/**
 * A real gateway in a child process, for crash tests: SIGKILL it, start
 * another on the same database, and see what survived.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { packageRoot } from '../src/package-root.js'

export interface ChildGateway {
  readonly child: ChildProcess
  readonly url: string
  readonly output: string[]
  /** Resolves with the exit code (or the signal's name) once the process has gone. */
  readonly exited: Promise<number | string>
}

export function writeConfig (dir: string, config: Record<string, unknown>): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(file, stringify(config))
  return file
}

/** Starts `hookgate start` from source (tsx) and waits until it listens; rejects after 60 s. */
export async function startChildGateway (configFile: string, env: NodeJS.ProcessEnv = {}): Promise<ChildGateway> {
  const root = packageRoot()
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), 'start', '--config', configFile], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const output: string[] = []
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child gateway did not listen within 60 s:\n' + output.join(''))), 60_000)
    const onData = (chunk: Buffer) => {
      output.push(String(chunk))
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(String(chunk))
      if (match !== null) { clearTimeout(timer); resolve(match[1]!) }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (c: Buffer) => output.push(String(c)))
    exited.then((code) => { clearTimeout(timer); reject(new Error(`child gateway exited (${code}) before listening:\n` + output.join(''))) })
  })
  return { child, url, output, exited }
}
