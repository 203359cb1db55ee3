/**
 * Stops and starts the PostgreSQL server a test database lives on, as an
 * operator would (pg_ctl, fast shutdown: every connection dropped), for the
 * database-down case. The server's own options are read back from
 * postmaster.opts, so it comes back exactly as it was started.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import pg from 'pg'

export interface ServerHandle {
  readonly bin: string
  readonly data: string
  readonly options: string
}

/** As root, pg_ctl must run as the `postgres` user that owns the cluster. */
function runAs (): { uid?: number, gid?: number } {
  if (process.getuid?.() !== 0) return {}
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
  return { uid: id('-u'), gid: id('-g') }
}

function pgCtl (server: ServerHandle, args: string[]): void {
  execFileSync(join(server.bin, 'pg_ctl'), ['-D', server.data, ...args], { ...runAs(), stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Stops the server behind `url` (fast: open connections are cut) and answers what starts it again. */
export async function stopServer (url: string): Promise<ServerHandle> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  let data: string, bin: string
  try {
    data = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory
    bin = (await client.query<{ setting: string }>("SELECT setting FROM pg_config WHERE name = 'BINDIR'")).rows[0]!.setting
  } finally {
    await client.end()
  }
  const args = [...readFileSync(join(data, 'postmaster.opts'), 'utf8').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!)
  const dAt = args.indexOf('-D')
  if (dAt >= 0) args.splice(dAt, 2)
  const server = { bin, data, options: args.join(' ') }
  pgCtl(server, ['-m', 'fast', '-w', 'stop'])
  return server
}

export async function startServer (server: ServerHandle): Promise<void> {
  pgCtl(server, ['-l', join(dirname(server.data), 'restarted.log'), '-o', server.options, '-w', '-t', '60', 'start'])
}
