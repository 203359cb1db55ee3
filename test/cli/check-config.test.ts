import t from 'tap'
import type { Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { packageRoot } from '../../src/package-root.js'
import { providerNames } from '../../providers/index.js'

const root = packageRoot()
const hookgate = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' })

t.test('check-config prints a one-line summary and exits 0 for the example', async (t) => {
  const run = hookgate(['check-config', '--config', 'config.example.yaml'])
  t.equal(run.status, 0, run.stderr)
  t.match(run.stdout, /^ok: 2 source\(s\): clerk \(clerk\), chaindoc \(chaindoc\); .*\n$/)
  t.notMatch(run.stdout, /whsec_/, 'no secret in the summary')
})

t.test('check-config loads a provider plugin relative to the config file, and refuses one that does not fit', async (t) => {
  const dir = t.testdir({
    'ok.yaml': `server: { host: 127.0.0.1 }\nsources:\n  shop: { provider: { module: ${join(root, 'examples/providers/acme.mjs')} }, secret: acme-secret-0123456789abcdef }\n`,
    'bad.yaml': 'sources:\n  shop: { provider: { module: ./plugins/half.mjs }, secret: x }\n',
    plugins: { 'half.mjs': "export default { name: 'half', storedHeaders: [] }\n" }
  })
  const ok = hookgate(['check-config', '--config', join(dir, 'ok.yaml')])
  t.equal(ok.status, 0, ok.stderr)
  t.match(ok.stdout, /^ok: 1 source\(s\): shop \(acme\);/)
  const bad = hookgate(['check-config', '--config', join(dir, 'bad.yaml')])
  t.equal(bad.status, 1)
  t.match(bad.stderr, "hookgate check-config: HG_ERR_CONFIG_INVALID: Invalid configuration:\n  - sources.shop.provider.module: ./plugins/half.mjs: 'verify' must be a function")
})

t.test('check-config reads HOOKGATE_CONFIG when no --config is given', async (t) => {
  const run = hookgate(['check-config'], { HOOKGATE_CONFIG: 'config.example.yaml' })
  t.equal(run.status, 0, run.stderr)
})

t.test('check-config exits 1 listing every problem with its key path', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'server: { port: -1 }\nsources:\n  clerk: { provider: clerk, secret: "${NOPE_UNSET}" }\n' })
  const run = hookgate(['check-config', '--config', join(dir, 'bad.yaml')])
  t.equal(run.status, 1)
  t.match(run.stderr, /sources\.clerk\.secret: environment variable NOPE_UNSET is not set/)
  t.match(run.stderr, /server\.port/)
})

t.test('check-config and start refuse the example secrets once HOOKGATE_HOST opens the gateway to the network', async (t) => {
  const env = { HOOKGATE_HOST: '0.0.0.0', CLERK_WEBHOOK_SIGNING_SECRET: '', CHAINDOC_WEBHOOK_SECRET: '', HOOKGATE_ADMIN_TOKEN: '' }
  const check = hookgate(['check-config', '--config', 'config.example.yaml'], env)
  t.equal(check.status, 1)
  t.match(check.stderr, /^hookgate check-config: HG_ERR_CONFIG_INVALID: Invalid configuration:/)
  t.match(check.stderr, /sources\.clerk\.secret: this is the public Standard Webhooks \/ Svix test secret .*server\.host is '0\.0\.0\.0'/)
  t.match(check.stderr, /sources\.chaindoc\.secret: this is the Chaindoc example secret/)
  // Port 0, a test database and a timeout: should it ever start, it neither takes 8080 nor outlives the test.
  const start = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), 'start', '--config', 'config.example.yaml'],
    { cwd: root, env: { ...process.env, ...env, HOOKGATE_PORT: '0', HOOKGATE_DB: join(t.testdir(), 'x.db') }, encoding: 'utf8', timeout: 30_000 })
  t.equal(start.status, 1)
  t.match(start.stderr, /hookgate start: HG_ERR_CONFIG_INVALID: .*\n.*sources\.clerk\.secret: this is the public/s)
  t.equal(hookgate(['check-config', '--config', 'config.example.yaml'], { ...env, HOOKGATE_HOST: '' }).status, 0, 'the default, 127.0.0.1, takes them')
})

t.test('an unknown command prints usage and exits 2', async (t) => {
  const run = hookgate(['frobnicate'])
  t.equal(run.status, 2)
  t.match(run.stderr, /usage: hookgate <command>/)
})

/** check-config's stderr for a refused file: the code on the first line, one "  - key.path: …" line per problem. */
function refused (t: Test, yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  const dir = t.testdir({ 'config.yaml': yaml })
  const run = hookgate(['check-config', '--config', join(dir, 'config.yaml')], env)
  t.equal(run.status, 1, run.stderr)
  t.equal(run.stdout, '')
  const [header, ...lines] = run.stderr.trimEnd().split('\n')
  t.equal(header, 'hookgate check-config: HG_ERR_CONFIG_INVALID: Invalid configuration:')
  return lines
}

// Not the public test secret: these files listen on the default host, where that one is refused.
const clerk = `  clerk: { provider: clerk, secret: whsec_${Buffer.alloc(32, 9).toString('base64')} }\n`

t.test('check-config: a mistyped provider lists the known providers', async (t) => {
  const known = providerNames.map((name) => `'${name}'`).join(', ')
  t.same(refused(t, 'sources:\n  clerk: { provider: clerck, secret: x }\n'), [`  - sources.clerk.provider: expected one of ${known}, or { module: <path to a provider plugin, relative to the config file> }`])
})

t.test('check-config: HOOKGATE_ADMIN_TOKEN=short needs 16 characters; empty turns the admin API off', async (t) => {
  const yaml = 'sources:\n' + clerk + 'admin:\n  token: ${HOOKGATE_ADMIN_TOKEN:-}\n'
  t.same(refused(t, yaml, { HOOKGATE_ADMIN_TOKEN: 'short' }), ['  - admin.token: expected at least 16 characters (`openssl rand -hex 24` makes one), or empty to turn the admin API off'])
  const off = hookgate(['check-config', '--config', join(t.testdir({ 'ok.yaml': yaml }), 'ok.yaml')], { HOOKGATE_ADMIN_TOKEN: '' })
  t.equal(off.status, 0, off.stderr)
})

t.test('check-config: a missing environment variable is reported once', async (t) => {
  t.same(refused(t, 'sources:\n  clerk: { provider: clerk, secret: "${NOPE_UNSET}" }\n'), [
    '  - sources.clerk.secret: environment variable NOPE_UNSET is not set (and no default is given with ${NOPE_UNSET:-default})'
  ])
})

t.test('check-config: several problems, one line each, all under the code', async (t) => {
  const lines = refused(t, 'server: { port: abc }\nsources:\n  clerk: { provider: clerck, secret: x }\nlogging: { level: loud }\n')
  t.equal(lines.length, 3, lines.join('\n'))
  for (const line of lines) t.match(line, /^ {2}- [a-z][\w.[\]]*: \S/)
})

t.test('check-config names a PostgreSQL server it cannot reach, without the password, and reaches one that answers', async (t) => {
  const dir = t.testdir({ 'pg.yaml': 'storage: { driver: postgres, url: "${HOOKGATE_DATABASE_URL}" }\n' })
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  const down = hookgate(['check-config', '--config', join(dir, 'pg.yaml')], { HOOKGATE_DATABASE_URL: 'postgres://hookgate:s3cret-pw@127.0.0.1:1/hookgate' })
  t.equal(down.status, 1)
  t.match(down.stderr, /^hookgate check-config: HG_ERR_STORAGE_UNREACHABLE: Cannot reach PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/hookgate: ECONNREFUSED/)
  t.notMatch(down.stderr + down.stdout, /s3cret-pw/)
  const url = process.env.HOOKGATE_TEST_POSTGRES_URL
  if (url === undefined || url === '') return
  const up = hookgate(['check-config', '--config', join(dir, 'pg.yaml')], { HOOKGATE_DATABASE_URL: url })
  t.equal(up.status, 0, up.stderr)
  t.match(up.stdout, /storage postgres:\/\/127\.0\.0\.1:\d+\/postgres;/)
})
