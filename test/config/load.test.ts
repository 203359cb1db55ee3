import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, parseConfig } from '../../src/config/load.js'
import { packageRoot } from '../../src/package-root.js'
import { providerNames } from '../../providers/index.js'

// The public test secret is accepted because the gateway listens on loopback only (see the published-secret tests).
const minimal = { server: { host: '127.0.0.1' }, sources: { clerk: { provider: 'clerk', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } } }

t.test('finds config.example.yaml valid with no environment set', async (t) => {
  const config = await loadConfig(join(packageRoot(), 'config.example.yaml'), {})
  t.same(Object.keys(config.sources), ['clerk', 'chaindoc'])
  t.equal(config.server.port, 8080)
  t.equal(config.server.host, '127.0.0.1', 'on loopback: its example secrets are public')
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
        sources: { clerk: { provider: 'no-such-provider', secret: 'x' }, chaindoc: { provider: 'chaindoc' } },
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
  const config = parseConfig({ server: { host: '127.0.0.1' }, sources: { clerk: { provider: 'clerk', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_' + Buffer.alloc(32, 3).toString('base64')] } } }, {})
  t.equal(config.sources.clerk!.secrets.length, 2)
})

t.test('refuses a destination that names a source that does not exist', async (t) => {
  t.throws(() => parseConfig({ ...minimal, destinations: { d: { url: 'http://127.0.0.1:1/x', sources: ['github'] } } }, {}), { message: /destinations\.d\.sources: no source named 'github'/ })
})

t.test('ordering: subject with onDead (skip by default); onDead without ordering and an unknown ordering are refused', async (t) => {
  const config = parseConfig({ ...minimal, destinations: { a: { url: 'http://127.0.0.1:1/x', ordering: 'subject' }, b: { url: 'http://127.0.0.1:1/x', ordering: 'subject', onDead: 'block' }, c: { url: 'http://127.0.0.1:1/x' } } }, {})
  t.same([config.destinations.a!.ordering, config.destinations.b!.ordering, config.destinations.c!.ordering], [{ onDead: 'skip' }, { onDead: 'block' }, null])
  t.throws(() => parseConfig({ ...minimal, destinations: { d: { url: 'http://127.0.0.1:1/x', onDead: 'block' } } }, {}), { message: /destinations\.d\.onDead: applies only with ordering: subject/ })
  t.throws(() => parseConfig({ ...minimal, destinations: { d: { url: 'http://127.0.0.1:1/x', ordering: 'fifo' } } }, {}), { code: 'HG_ERR_CONFIG_INVALID', message: /destinations\.d\.ordering/ })
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
  await t.rejects(loadConfig(join(dir, 'nope.yaml'), {}), { code: 'HG_ERR_CONFIG_INVALID', message: /cannot read .*nope\.yaml: ENOENT/ })
  await t.rejects(loadConfig(join(dir, 'bad.yaml'), {}), { code: 'HG_ERR_CONFIG_INVALID', message: /not valid YAML/ })
  writeFileSync(join(dir, 'empty.yaml'), '')
  t.same(Object.keys((await loadConfig(join(dir, 'empty.yaml'), {})).sources), [], 'an empty file is all defaults')
})

t.test('an empty admin token turns the admin API off; a short one is refused', async (t) => {
  const off = parseConfig({ ...minimal, admin: { token: '${HOOKGATE_ADMIN_TOKEN:-}' } }, {})
  t.same(off.admin, {})
  const on = parseConfig({ ...minimal, admin: { token: '${HOOKGATE_ADMIN_TOKEN:-}' } }, { HOOKGATE_ADMIN_TOKEN: 'a'.repeat(24) })
  t.equal(on.admin.token, 'a'.repeat(24))
  t.throws(() => parseConfig({ ...minimal, admin: { token: 'short' } }, {}), { message: /admin\.token/ })
})

const PUBLIC_CLERK = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const ownClerk = 'whsec_' + Buffer.alloc(32, 9).toString('base64')

t.test('refuses a published example secret or admin token on an address others can reach, naming the key path', async (t) => {
  const err = (() => {
    try {
      parseConfig({
        server: { host: '0.0.0.0' },
        sources: {
          clerk: { provider: 'clerk', secret: PUBLIC_CLERK.slice('whsec_'.length) },
          rotating: { provider: 'clerk', secrets: [ownClerk, PUBLIC_CLERK] },
          chaindoc: { provider: 'chaindoc', secret: 'webhook-secret' },
          example: { provider: 'chaindoc', secret: 'example-chaindoc-secret-change-me-0123456789' }
        },
        admin: { token: 'example-admin-token-change-me-0123456789' }
      }, {})
    } catch (e) { return e as Error & { code: string } }
    return undefined
  })()
  t.equal(err?.code, 'HG_ERR_CONFIG_INVALID')
  t.match(err?.message, /sources\.clerk\.secret: this is the public Standard Webhooks \/ Svix test secret/, 'also without its whsec_ prefix')
  t.match(err?.message, /sources\.rotating\.secrets\[1\]: this is the public Standard Webhooks/)
  t.match(err?.message, /sources\.chaindoc\.secret: this is Chaindoc's SDK test secret/)
  t.match(err?.message, /sources\.example\.secret: this is the Chaindoc example secret/)
  t.match(err?.message, /admin\.token: this is the admin token .* anyone can use the admin API/)
  t.match(err?.message, /server\.host is '0\.0\.0\.0'.*listen on 127\.0\.0\.1/, 'says why and what to do')
  t.notMatch(err?.message, /MfKQ9r8G|webhook-secret|change-me/, 'the values themselves are not echoed')
  t.notMatch(err?.message, /secrets\[0\]/, 'an own secret is not a problem')
})

t.test('accepts published example secrets while the gateway listens on loopback only', async (t) => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) {
    const config = parseConfig({
      server: { host },
      sources: { clerk: { provider: 'clerk', secret: PUBLIC_CLERK }, chaindoc: { provider: 'chaindoc', secret: 'webhook-secret' } },
      admin: { token: 'example-admin-token-change-me-0123456789' }
    }, {})
    t.equal(config.server.host, host)
  }
  for (const host of ['0.0.0.0', '::', '192.168.1.10', '128.0.0.1', 'example.com', 'localhost.example.com']) {
    t.throws(() => parseConfig({ server: { host }, sources: { clerk: { provider: 'clerk', secret: PUBLIC_CLERK } } }, {}), { message: /sources\.clerk\.secret: this is the public/ }, host)
  }
  t.doesNotThrow(() => parseConfig({ server: { host: '0.0.0.0' }, sources: { clerk: { provider: 'clerk', secret: ownClerk } }, admin: { token: 'a'.repeat(24) } }, {}), 'own secrets on any address')
})

t.test('config.example.yaml refuses its own example secrets when HOOKGATE_HOST opens it to the network', async (t) => {
  await t.rejects(loadConfig(join(packageRoot(), 'config.example.yaml'), { HOOKGATE_HOST: '0.0.0.0' }), { code: 'HG_ERR_CONFIG_INVALID', message: /sources\.clerk\.secret: .*\n.*sources\.chaindoc\.secret: /s })
  const config = await loadConfig(join(packageRoot(), 'config.example.yaml'), { HOOKGATE_HOST: '0.0.0.0', CLERK_WEBHOOK_SIGNING_SECRET: ownClerk, CHAINDOC_WEBHOOK_SECRET: 'c'.repeat(40) })
  t.equal(config.server.host, '0.0.0.0')
})

/** The problem lines of a refused config (after the "Invalid configuration:" header), or a failure. */
function problemLines (input: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(input, env)
  } catch (err) {
    const { code, message } = err as { code: string, message: string }
    if (code !== 'HG_ERR_CONFIG_INVALID') throw err
    const [header, ...lines] = message.split('\n')
    if (header !== 'Invalid configuration:') throw err
    return lines
  }
  throw new Error('the config was accepted')
}

t.test('a mistyped provider lists the known providers, on one line', async (t) => {
  const expected = `  - sources.clerk.provider: expected one of ${providerNames.map((name) => `'${name}'`).join(', ')}, or { module: <path to a provider plugin, relative to the config file> }`
  t.same(problemLines({ sources: { clerk: { provider: 'clerck', secret: 'x' } } }), [expected])
  t.same(problemLines({ sources: { clerk: { provider: 5, secret: 'x' } } }), [expected], 'not once more per literal as "or string"')
})

t.test('a short admin token says it needs 16 characters, and that empty turns the admin API off', async (t) => {
  for (const token of ['short', '${HOOKGATE_ADMIN_TOKEN}', 42]) {
    const env = typeof token === 'string' && token.startsWith('$') ? { HOOKGATE_ADMIN_TOKEN: 'short' } : {}
    t.same(problemLines({ ...minimal, admin: { token } }, env), ['  - admin.token: expected at least 16 characters (`openssl rand -hex 24` makes one), or empty to turn the admin API off'], String(token))
  }
})

t.test('an unset environment variable is one problem, not also the empty string it leaves', async (t) => {
  t.same(problemLines({ sources: { clerk: { provider: 'clerk', secret: '${NOPE_UNSET}' } }, admin: { token: '${NOPE_TOKEN}' } }), [
    '  - sources.clerk.secret: environment variable NOPE_UNSET is not set (and no default is given with ${NOPE_UNSET:-default})',
    '  - admin.token: environment variable NOPE_TOKEN is not set (and no default is given with ${NOPE_TOKEN:-default})'
  ])
})

t.test('one line per problem, each starting with its key path', async (t) => {
  const lines = problemLines({ server: { port: 'abc' }, logging: { level: 'loud' }, destinations: { d: { url: 'http://x', concurrency: -1, colour: 'blue' } } })
  t.same(lines, [
    '  - destinations.d.colour: unknown key (a typo? unknown keys are refused, not ignored)',
    '  - server.port: expected integer',
    '  - destinations.d.concurrency: expected a number >= 1',
    "  - logging.level: expected one of 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'"
  ])
})

t.test('storage.dedupWindowDays defaults to 90 days and must be positive', async (t) => {
  const config = parseConfig({ server: { host: '127.0.0.1' } }, {})
  t.equal(config.storage.dedupWindowDays, 90)
  t.equal(parseConfig({ server: { host: '127.0.0.1' }, storage: { dedupWindowDays: 365 } }, {}).storage.dedupWindowDays, 365)
  for (const bad of [0, -1, 'forever']) {
    t.throws(() => parseConfig({ server: { host: '127.0.0.1' }, storage: { dedupWindowDays: bad } }, {}), { message: /storage\.dedupWindowDays/ }, String(bad))
  }
})

t.test('sources.*.options.legacyScheme: on by default for Chaindoc, switched off by false, refused on a provider without options', async (t) => {
  const sources = {
    old: { provider: 'chaindoc', secret: 'chaindoc-secret-0123456789' },
    strict: { provider: 'chaindoc', secret: 'chaindoc-secret-0123456789', options: { legacyScheme: false } },
    clerk: { provider: 'clerk', secret: 'whsec_' + Buffer.alloc(24, 1).toString('base64') }
  }
  const config = parseConfig({ sources }, {})
  t.same(config.sources.old!.options, { legacyScheme: true, legacyReserialized: false })
  t.same(config.sources.strict!.options, { legacyScheme: false, legacyReserialized: false })
  t.equal(config.sources.clerk!.options, undefined, 'Clerk takes no options')
  t.throws(() => parseConfig({ sources: { ...sources, clerk: { ...sources.clerk, options: { legacyScheme: true } } } }, {}),
    { message: /sources\.clerk\.options: provider 'clerk' takes no options/ })
  t.throws(() => parseConfig({ sources: { strict: { ...sources.strict, options: { legacyScheme: 'no' } } } }, {}), { message: /sources\.strict\.options: legacyScheme: true or false/ })
})

t.test('the old top-level legacyScheme, legacyReserialized and verifyToken are refused, each naming its place under options', async (t) => {
  const err = (() => {
    try {
      parseConfig({ sources: {
        a: { provider: 'chaindoc', secret: 'chaindoc-secret-0123456789', legacyScheme: false, legacyReserialized: true },
        m: { provider: 'meta', secret: 'meta-app-secret-0123', verifyToken: 'tok', options: { verifyToken: 'tok' } }
      } }, {})
    } catch (e) { return e as Error }
    return null
  })()
  t.match(err?.message, "sources.a.legacyScheme: now under the source's options (sources.a.options.legacyScheme), which the chaindoc provider checks")
  t.match(err?.message, 'sources.a.legacyReserialized: now under the source\'s options (sources.a.options.legacyReserialized)')
  t.match(err?.message, 'sources.m.verifyToken: now under the source\'s options (sources.m.options.verifyToken), which the meta provider checks')
})

t.test('refuses options on a source whose provider takes none, naming the key', async (t) => {
  t.throws(() => parseConfig({ ...minimal, sources: { clerk: { ...minimal.sources.clerk, options: { publicUrl: 'https://x' } } } }, {}), {
    code: 'HG_ERR_CONFIG_INVALID',
    message: /sources\.clerk\.options: provider 'clerk' takes no options/
  })
  t.equal(parseConfig(minimal, {}).sources.clerk!.options, undefined)
})

t.test('storage.driver postgres needs a postgres:// url, and a url needs that driver; the url is never quoted back', async (t) => {
  const storageProblem = (storage: Record<string, unknown>): string => {
    try {
      parseConfig({ storage }, {})
    } catch (e) { return (e as Error).message }
    return 'valid'
  }
  t.match(storageProblem({ driver: 'postgres' }), /storage\.url: required with storage\.driver 'postgres'/)
  const badScheme = storageProblem({ driver: 'postgres', url: 'mysql://root:hunter2@db/hookgate' })
  t.match(badScheme, /storage\.url: scheme 'mysql:' is not PostgreSQL's: expected postgres:\/\/ or postgresql:\/\//)
  t.notMatch(badScheme, /hunter2/)
  t.match(storageProblem({ driver: 'postgres', url: 'not a url' }), /storage\.url: not a valid URL/)
  t.match(storageProblem({ url: 'postgres://db/hookgate' }), /storage\.url: read only with storage\.driver 'postgres'/)
  t.match(storageProblem({ driver: 'mongo' }), /storage\.driver/)
  t.equal(storageProblem({ driver: 'postgres', url: 'postgresql://hookgate:pw@db.internal:5432/hookgate', poolSize: 20 }), 'valid')
  t.equal(parseConfig({}, {}).storage.driver, 'sqlite', 'SQLite stays the default')
})
