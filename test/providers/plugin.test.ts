import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { providerNames } from '../../providers/index.js'
import { loadPlugin } from '../../providers/plugin.js'
import { sendCommand } from '../../src/cli/send.js'
import { loadConfig, parseConfig } from '../../src/config/load.js'
import { packageRoot } from '../../src/package-root.js'
import { writeConfig } from '../child-gateway.js'
import { admin, ADMIN_TOKEN, buildAdmin, rejectionsWritten } from '../fixtures/admin.js'
import { capture } from '../fixtures/cli.js'
import { startReceiver } from '../fixtures/receiver.js'
import { TestClock } from '../helper.js'
import { storedEvents } from '../fixtures/events.js'

const EXAMPLE = join(packageRoot(), 'examples', 'providers', 'acme.mjs')
const ACME_SECRET = 'acme-test-secret-0123456789abcdef'
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5)

/** A config dir with the example copied to providers-local/, as the README tells a user to do. */
function configDir (t: Test, files: Record<string, string> = {}): string {
  const dir = t.testdir({ 'providers-local': files })
  copyFileSync(EXAMPLE, join(dir, 'providers-local', 'acme.mjs'))
  return dir
}
const acmeSource = (module = './providers-local/acme.mjs', secret = ACME_SECRET) => ({ provider: { module }, secret })

async function acmeGateway (t: Test, clock = new TestClock(NOW)) {
  const plugins = new Map([['./acme.mjs', await loadPlugin('./acme.mjs', join(packageRoot(), 'examples', 'providers'))]])
  return buildAdmin(t, { clock, plugins, config: { sources: { shop: acmeSource('./acme.mjs') } } })
}

t.test('a source names a plugin module relative to the config file, and it joins the one provider registry', async (t) => {
  const dir = configDir(t)
  const file = writeConfig(dir, { server: { host: '127.0.0.1' }, sources: { shop: acmeSource(), clerk: { provider: 'clerk', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } } })
  const config = await loadConfig(file, {})
  t.equal(config.sources.shop!.provider, 'acme', 'the source names the plugin by its own name')
  t.same(Object.keys(config.providers).sort(), ['acme', ...providerNames].sort(), 'the built-ins and the plugin, in one registry')
  t.same(config.providers.acme!.storedHeaders, ['acme-signature', 'acme-delivery'])
  t.equal(config.samples.acme!.defaultType, 'order.paid')
  t.ok(Object.isFrozen(config.providers.acme), 'frozen with the rest of the config')
})

t.test('the example plugin verifies its signed sample, and one changed byte fails', async (t) => {
  const { app } = await acmeGateway(t)
  const sample = app.hookgate.config.samples.acme!
  const body = sample.body('order.paid', NOW)
  const headers = sample.sign(body, ACME_SECRET, NOW, sample.defaultType)
  const res = await app.inject({ method: 'POST', url: '/webhooks/shop', headers, payload: body })
  t.equal(res.statusCode, 200, res.body)
  const [stored] = await storedEvents(app)
  const row = (await app.hookgate.store.getEvent(stored!.id))!.event
  t.match(row, { provider: 'acme', type: 'order.paid', dedup_key: headers['acme-delivery'], subject: /^ord_/ })
  t.same(Object.keys(JSON.parse(row.headers)).sort(), ['acme-delivery', 'acme-signature'], "the plugin's storedHeaders are kept")

  const tampered = body.replace('"amount":4200', '"amount":4201')
  const forged = await app.inject({ method: 'POST', url: '/webhooks/shop', headers: { ...headers, 'acme-delivery': 'other' }, payload: tampered })
  t.equal(forged.statusCode, 401)
  t.equal(forged.json().code, 'HG_ERR_SIGNATURE_INVALID')
  t.equal(forged.json().message, 'No matching signature', "the gateway's message, not the plugin's")
})

t.test("a plugin's refusals get the gateway's codes and statuses, and the rejections log keeps its headers", async (t) => {
  const { app } = await acmeGateway(t)
  const sample = app.hookgate.config.samples.acme!
  const body = sample.body('order.paid', NOW)
  const good = sample.sign(body, ACME_SECRET, NOW, sample.defaultType)
  const cases: Array<[string, Record<string, string>, string, number, string]> = [
    ['no signature', { 'acme-delivery': 'd1' }, body, 401, 'HG_ERR_SIGNATURE_MISSING'],
    ['a timestamp that is not a number', { ...good, 'acme-signature': good['acme-signature']!.replace(/t=\d+/, 't=soon') }, body, 401, 'HG_ERR_TIMESTAMP_INVALID'],
    ['a stale timestamp', sample.sign(body, ACME_SECRET, NOW - 301_000, sample.defaultType), body, 401, 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE'],
    ['the wrong secret', sample.sign(body, 'another-secret-0123456789abcdef', NOW, sample.defaultType), body, 401, 'HG_ERR_SIGNATURE_INVALID'],
    ['a signed body that is not JSON', sample.sign('not json', ACME_SECRET, NOW, sample.defaultType), 'not json', 400, 'HG_ERR_PAYLOAD_INVALID']
  ]
  for (const [what, headers, payload, status, code] of cases) {
    const res = await app.inject({ method: 'POST', url: '/webhooks/shop', headers, payload })
    t.equal(res.statusCode, status, what)
    t.equal(res.json().code, code, what)
    t.notMatch(res.body, ACME_SECRET, `${what}: the answer does not carry the secret`)
  }
  t.equal((await storedEvents(app)).length, 0, 'nothing stored')
  await rejectionsWritten(app)
  const { body: page } = await admin(app, 'GET', '/admin/rejections')
  t.equal(page.items.length, cases.length)
  t.ok(page.items.every((r: { headers: Record<string, string> }) => 'acme-delivery' in r.headers), "the plugin's stored headers are allow-listed")
})

t.test('a module that does not fit the contract refuses the config, naming the key path', async (t) => {
  const dir = configDir(t, {
    'no-verify.mjs': "export default { name: 'broken', storedHeaders: [] }",
    'builtin.mjs': "export default { name: 'clerk', storedHeaders: [], verify () {} }",
    'bad-headers.mjs': "export default { name: 'loud', storedHeaders: ['X-Upper'], verify () {}, validateSecret: 5 }",
    'throws.mjs': "throw new Error('boom at import')",
    'twin.mjs': "export default { name: 'acme', storedHeaders: [], verify () {} }"
  })
  const refused = async (sources: Record<string, unknown>) => {
    const file = writeConfig(dir, { server: { host: '127.0.0.1' }, sources })
    const err = await loadConfig(file, {}).then(() => null, (e: unknown) => e as Error & { code: string })
    t.equal(err?.code, 'HG_ERR_CONFIG_INVALID')
    return err?.message ?? ''
  }
  t.match(await refused({ a: acmeSource('./providers-local/no-verify.mjs') }), "sources.a.provider.module: ./providers-local/no-verify.mjs: 'verify' must be a function")
  t.match(await refused({ a: acmeSource('./providers-local/builtin.mjs') }), "sources.a.provider.module: ./providers-local/builtin.mjs: the plugin's name 'clerk' is a built-in provider's")
  const both = await refused({ a: acmeSource('./providers-local/bad-headers.mjs') })
  t.match(both, "'storedHeaders' must be a list of lower-case header names")
  t.match(both, "'validateSecret', when present, must be a function")
  t.match(await refused({ a: acmeSource('./providers-local/missing.mjs') }), /sources\.a\.provider\.module: \.\/providers-local\/missing\.mjs: no file at \/.*\/providers-local\/missing\.mjs/)
  t.match(await refused({ a: acmeSource('./providers-local/throws.mjs') }), /sources\.a\.provider\.module: \.\/providers-local\/throws\.mjs: cannot import \/.*\/providers-local\/throws\.mjs: boom at import/)
  t.match(await refused({ a: acmeSource(), b: acmeSource('./providers-local/twin.mjs') }), "sources.b.provider.module: ./providers-local/twin.mjs: the plugin's name 'acme' is also the name of ./providers-local/acme.mjs")
  t.match(await refused({ a: acmeSource('./providers-local/acme.mjs', 'short') }), 'sources.a.secret: an Acme signing secret has at least 24 characters', "the plugin's validateSecret runs at boot")
  t.match(await refused({ a: { provider: { modul: './x.mjs' }, secret: 'x' } }), 'sources.a.provider.modul: unknown key')
  t.throws(() => parseConfig({ sources: { a: acmeSource() } }, {}), { code: 'HG_ERR_CONFIG_INVALID', message: /sources\.a\.provider\.module: provider plugins are loaded with the config file/ })
})

t.test('two sources may share one plugin module', async (t) => {
  const dir = configDir(t)
  const file = writeConfig(dir, { server: { host: '127.0.0.1' }, sources: { eu: acmeSource(), us: acmeSource() } })
  const config = await loadConfig(file, {})
  t.same([config.sources.eu!.provider, config.sources.us!.provider], ['acme', 'acme'])
})

t.test('hookgate send signs with the sample a plugin exports, and says so when it exports none', async (t) => {
  const { app } = await acmeGateway(t, new TestClock())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const dir = configDir(t)
  writeFileSync(join(dir, 'providers-local', 'plain.mjs'), "export default { name: 'plain', storedHeaders: [], verify () { throw Object.assign(new Error('x'), { code: 'HG_ERR_SIGNATURE_INVALID' }) } }")
  const file = writeConfig(dir, {
    server: { host: '127.0.0.1', port },
    sources: { shop: acmeSource(), plain: { provider: { module: './providers-local/plain.mjs' }, secret: 's' } },
    admin: { token: ADMIN_TOKEN }
  })
  const io = capture()
  t.equal(await sendCommand(['shop', '--config', file, '--type', 'order.refunded'], io), 0, io.stderr())
  t.match(io.stdout(), /^sent order\.refunded to http:\/\/127\.0\.0\.1:\d+\/webhooks\/shop: 200, event evt_/)
  t.match(await storedEvents(app), [{ provider: 'acme', type: 'order.refunded' }])
  const none = capture()
  t.equal(await sendCommand(['plain', '--config', file], none), 2)
  t.match(none.stderr(), "the plain provider of source 'plain' is a plugin that exports no sample, so send cannot sign one")
})

t.test('a plugin event is forwarded as CloudEvents with the plugin as its provider extension', async (t) => {
  const receiver = await startReceiver(t)
  const plugins = new Map([['./acme.mjs', await loadPlugin('./acme.mjs', join(packageRoot(), 'examples', 'providers'))]])
  const { app } = await buildAdmin(t, { clock: new TestClock(NOW), plugins, destinations: { svc: { url: receiver.url } }, config: { sources: { shop: acmeSource('./acme.mjs') } } })
  const sample = app.hookgate.config.samples.acme!
  const body = sample.body('order.paid', NOW)
  const res = await app.inject({ method: 'POST', url: '/webhooks/shop', headers: sample.sign(body, ACME_SECRET, NOW, sample.defaultType), payload: body })
  t.equal(res.statusCode, 200)
  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests.length, 1)
  t.match(JSON.parse(receiver.requests[0]!.body.toString()), { source: '/sources/shop', provider: 'acme', type: 'order.paid', data: JSON.parse(body) })
})

t.test("the example plugin's parseOptions checks a source's options at boot, and verify gets what it returned", async (t) => {
  const dir = configDir(t, { 'throws.mjs': "export default { name: 'odd', storedHeaders: [], verify () {}, parseOptions () { throw new Error('boom') } }", 'shape.mjs': "export default { name: 'shape', storedHeaders: [], verify () {}, parseOptions: () => 42 }" })
  const file = writeConfig(dir, { server: { host: '127.0.0.1' }, sources: { shop: { ...acmeSource(), options: { account: 'acct_demo' } }, any: acmeSource() } })
  const config = await loadConfig(file, {})
  t.same(config.sources.shop!.options, { account: 'acct_demo' }, 'what parseOptions returned')
  t.same(config.sources.any!.options, { account: null }, 'called with {} when the source gives none')
  t.ok(Object.isFrozen(config.sources.shop!.options), 'frozen with the rest of the config')
  const refused = async (sources: Record<string, unknown>) => {
    const err = await loadConfig(writeConfig(dir, { server: { host: '127.0.0.1' }, sources }), {}).then(() => null, (e: unknown) => e as Error & { code: string })
    t.equal(err?.code, 'HG_ERR_CONFIG_INVALID')
    return err?.message ?? ''
  }
  const bad = await refused({ shop: { ...acmeSource(), options: { acount: 'acct_demo', account: 5 } } })
  t.match(bad, "sources.shop.options: unknown key 'acount' (known: account)")
  t.match(bad, "sources.shop.options: account: an Acme account id, 'acct_…'")
  t.match(await refused({ a: { provider: { module: './providers-local/throws.mjs' }, secret: 's', options: {} } }), "sources.a.options: the odd provider's parseOptions threw")
  t.match(await refused({ a: { provider: { module: './providers-local/shape.mjs' }, secret: 's' } }), "sources.a.options: the shape provider's parseOptions returned neither { options } nor { problems: [text, …] }")

  const plugins = new Map([['./acme.mjs', await loadPlugin('./acme.mjs', join(packageRoot(), 'examples', 'providers'))]])
  const { app } = await buildAdmin(t, { clock: new TestClock(NOW), plugins, config: { sources: { demo: { ...acmeSource('./acme.mjs'), options: { account: 'acct_demo' } }, other: { ...acmeSource('./acme.mjs'), options: { account: 'acct_other' } } } } })
  const sample = app.hookgate.config.samples.acme!
  const body = sample.body('order.paid', NOW)
  const headers = sample.sign(body, ACME_SECRET, NOW, sample.defaultType)
  t.equal((await app.inject({ method: 'POST', url: '/webhooks/demo', headers, payload: body })).statusCode, 200, "the source's own account")
  const other = await app.inject({ method: 'POST', url: '/webhooks/other', headers, payload: body })
  t.match({ status: other.statusCode, code: other.json().code }, { status: 400, code: 'HG_ERR_PAYLOAD_INVALID' }, "another account's event, well signed, is refused by the source's option")
})
