import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, parseConfig } from '../../src/config/load.js'
import { packageRoot } from '../../src/package-root.js'

const minimal = { sources: { clerk: { provider: 'clerk', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } } }

t.test('finds config.example.yaml valid with no environment set', async (t) => {
  const config = loadConfig(join(packageRoot(), 'config.example.yaml'), {})
  t.same(Object.keys(config.sources), ['clerk', 'chaindoc'])
  t.equal(config.server.port, 8080)
  t.equal(config.sources.clerk!.toleranceMs, 300_000)
})

t.test('resolves ${VAR} and ${VAR:-default} from the environment, converting numbers', async (t) => {
  const config = parseConfig({
    server: { port: '${PORT:-9000}', host: '${HOST}' },
    sources: { clerk: { provider: 'clerk', secret: '${CLERK_SECRET}' } }
  }, { HOST: '127.0.0.1', CLERK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  t.equal(config.server.port, 9000)
  t.equal(config.server.host, '127.0.0.1')
  t.same(config.sources.clerk!.secrets, ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'])
})

t.test('names an unset variable that has no default, without echoing values', async (t) => {
  t.throws(() => parseConfig({ sources: { clerk: { provider: 'clerk', secret: '${CLERK_WEBHOOK_SIGNING_SECRET}' } } }, {}), {
    code: 'HG_ERR_CONFIG_INVALID',
    message: /sources\.clerk\.secret: environment variable CLERK_WEBHOOK_SIGNING_SECRET is not set/
  })
})

t.test('lists every problem at once, each with its key path', async (t) => {
  const err = (() => {
    try {
      parseConfig({
        server: { port: 70000, colour: 'blue' },
        sources: { clerk: { provider: 'stripe', secret: 'x' }, chaindoc: { provider: 'chaindoc' } },
        destinations: { users: { url: 'ftp://x', format: 'xml' } },
        extra: true
      }, {})
    } catch (e) { return e as Error }
    return undefined
  })()
  t.ok(err)
  for (const expected of ['server.port', 'server.colour', 'sources.clerk.provider', 'destinations.users.url', 'destinations.users.format', 'extra']) {
    t.match(err!.message, expected, `names ${expected}`)
  }
})

t.test('refuses a source with both or neither of secret and secrets, and a malformed Clerk secret', async (t) => {
  t.throws(() => parseConfig({ sources: { a: { provider: 'chaindoc' } } }, {}), { message: /sources\.a: give exactly one of 'secret' or 'secrets'/ })
  t.throws(() => parseConfig({ sources: { a: { provider: 'chaindoc', secret: 's', secrets: ['s'] } } }, {}), { message: /sources\.a: give exactly one/ })
  const err = (() => { try { parseConfig({ sources: { a: { provider: 'clerk', secret: 'whsec_!!not-base64!!' } } }, {}) } catch (e) { return e as Error } })()
  t.match(err?.message, /sources\.a\.secret:/)
  t.notMatch(err?.message, /not-base64/, 'the secret itself is not echoed')
})

t.test('accepts several secrets while rotating', async (t) => {
  const config = parseConfig({ sources: { clerk: { provider: 'clerk', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_' + Buffer.alloc(32, 3).toString('base64')] } } }, {})
  t.equal(config.sources.clerk!.secrets.length, 2)
})

t.test('refuses a destination that names a source that does not exist', async (t) => {
  t.throws(() => parseConfig({ ...minimal, destinations: { d: { url: 'http://127.0.0.1:1/x', sources: ['github'] } } }, {}), { message: /destinations\.d\.sources: no source named 'github'/ })
})

t.test('turns both retry forms into one schedule of delays', async (t) => {
  const config = parseConfig({
    ...minimal,
    destinations: {
      a: { url: 'http://127.0.0.1:1/a' },
      b: { url: 'http://127.0.0.1:1/b', retry: { schedule: ['0s', '500ms', '2m', 1000] } },
      c: { url: 'http://127.0.0.1:1/c', retry: { maxAttempts: 5, initialDelay: '1s', maxDelay: '5s' } }
    }
  }, {})
  t.same(config.destinations.a!.retry.scheduleMs, [0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000], 'Svix schedule by default')
  t.same(config.destinations.b!.retry.scheduleMs, [0, 500, 120_000, 1000])
  t.same(config.destinations.c!.retry.scheduleMs, [0, 1000, 2000, 4000, 5000])
})

t.test('freezes the result', async (t) => {
  const config = parseConfig(minimal, {})
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.sources.clerk) && Object.isFrozen(config.sources.clerk!.secrets))
})

t.test('reports a missing file and bad YAML as configuration errors', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'server: [unclosed' })
  t.throws(() => loadConfig(join(dir, 'nope.yaml'), {}), { code: 'HG_ERR_CONFIG_INVALID', message: /cannot read .*nope\.yaml: ENOENT/ })
  t.throws(() => loadConfig(join(dir, 'bad.yaml'), {}), { code: 'HG_ERR_CONFIG_INVALID', message: /not valid YAML/ })
  writeFileSync(join(dir, 'empty.yaml'), '')
  t.same(Object.keys(loadConfig(join(dir, 'empty.yaml'), {}).sources), [], 'an empty file is all defaults')
})

t.test('an empty admin token turns the admin API off; a short one is refused', async (t) => {
  const off = parseConfig({ ...minimal, admin: { token: '${HOOKGATE_ADMIN_TOKEN:-}' } }, {})
  t.same(off.admin, {})
  const on = parseConfig({ ...minimal, admin: { token: '${HOOKGATE_ADMIN_TOKEN:-}' } }, { HOOKGATE_ADMIN_TOKEN: 'a'.repeat(24) })
  t.equal(on.admin.token, 'a'.repeat(24))
  t.throws(() => parseConfig({ ...minimal, admin: { token: 'short' } }, {}), { message: /admin\.token/ })
})
