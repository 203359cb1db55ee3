#!/usr/bin/env node
// Runs a command with HOOKGATE_TEST_POSTGRES_URL set: node scripts/with-postgres.mjs [--skip-without] tap
//
// When the variable is already set (a server of your own), the command runs as
// is. Otherwise a throwaway PostgreSQL cluster is made for it: initdb in a
// temporary directory, as the unprivileged `postgres` user when run as root
// (root cannot run the server), listening on 127.0.0.1 and a free port, with
// fsync and synchronous_commit on as in production; stopped and deleted when
// the command ends. Without PostgreSQL's binaries the command runs without the
// variable (the PostgreSQL tests then skip), or with --skip-without not at
// all, except under CI=true, where that is a failure: CI tests both drivers.
import { execFileSync, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const skipWithout = process.argv[2] === '--skip-without'
const [command, ...args] = process.argv.slice(skipWithout ? 3 : 2)
if (command === undefined) {
  process.stderr.write('usage: node scripts/with-postgres.mjs <command> [args...]\n')
  process.exit(2)
}

/** Debian's layout (/usr/lib/postgresql/<major>/bin), newest major first; PG_BIN overrides. */
function binDir () {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return null
  const majors = readdirSync(base).filter((d) => existsSync(join(base, d, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  return majors.length === 0 ? null : join(base, majors[0], 'bin')
}

function freePort () {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** As root, the server's files and processes belong to the `postgres` user the package creates. */
function runAs () {
  if (process.getuid?.() !== 0) return {}
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
  return { uid: id('-u'), gid: id('-g') }
}

async function startCluster (bin) {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-pg-'))
  const user = runAs()
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  const run = (tool, toolArgs) => execFileSync(join(bin, tool), toolArgs, { ...user, stdio: ['ignore', 'ignore', 'pipe'] })
  // --no-sync only skips initdb's own flush of the new files; the server runs with fsync on.
  run('initdb', ['-D', data, '-U', 'hookgate', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
  const port = await freePort()
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=on -c synchronous_commit=on -c max_connections=300 -c shared_buffers=64MB`
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start'])
  const stop = () => {
    try { run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']) } catch {}
    rmSync(dir, { recursive: true, force: true })
  }
  return { url: `postgres://hookgate@127.0.0.1:${port}/postgres`, stop }
}

const env = { ...process.env }
let cluster = null
if (env.HOOKGATE_TEST_POSTGRES_URL === undefined || env.HOOKGATE_TEST_POSTGRES_URL === '') {
  const bin = binDir()
  if (bin === null) {
    if (env.CI === 'true' || env.HOOKGATE_REQUIRE_POSTGRES === '1') {
      process.stderr.write('with-postgres: no PostgreSQL binaries (apt-get install -y postgresql, or set PG_BIN or HOOKGATE_TEST_POSTGRES_URL): CI tests both drivers\n')
      process.exit(1)
    }
    process.stderr.write(`with-postgres: no PostgreSQL found; ${skipWithout ? `not running ${command} ${args.join(' ')}` : 'the PostgreSQL tests will skip'}\n`)
    if (skipWithout) process.exit(0)
  } else {
    cluster = await startCluster(bin)
    env.HOOKGATE_TEST_POSTGRES_URL = cluster.url
    process.stderr.write(`with-postgres: throwaway cluster at ${cluster.url}\n`)
  }
}

const child = spawn(command, args, { stdio: 'inherit', env })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => {
  cluster?.stop()
  process.exit(code ?? (signal === null ? 1 : 128))
})
