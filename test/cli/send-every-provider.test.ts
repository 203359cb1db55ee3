import t from 'tap'
import type { AddressInfo } from 'node:net'
import { providerNames } from '../../providers/index.js'
import { samples } from '../../providers/samples.js'
import { checkConfigCommand } from '../../src/cli/check-config.js'
import { sendCommand } from '../../src/cli/send.js'
import { writeConfig } from '../child-gateway.js'
import { capture } from '../fixtures/cli.js'
import { PROVIDER_SOURCES } from '../fixtures/provider-sources.js'
import { build, TestClock } from '../helper.js'
import { storedEvents } from '../fixtures/events.js'

t.test('check-config accepts one source of every built-in provider, and send signs a sample each accepts', async (t) => {
  const built = await build(t, { clock: new TestClock(Date.now()), config: { sources: PROVIDER_SOURCES } })
  await built.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = built.app.server.address() as AddressInfo
  const configFile = writeConfig(built.dir, { server: { host: '127.0.0.1', port }, storage: { path: `${built.dir}/unused.db` }, sources: PROVIDER_SOURCES })

  const writes: string[] = []
  const out = process.stdout.write
  process.stdout.write = ((chunk: string) => { writes.push(String(chunk)); return true }) as typeof process.stdout.write
  const checked = await checkConfigCommand(['--config', configFile]).finally(() => { process.stdout.write = out })
  t.equal(checked, 0, 'check-config exits 0')
  t.match(writes.join(''), `${providerNames.length} source(s)`)

  // Discord signs with a private key only Discord holds: send says so instead of posting a request bound to fail.
  const signable = providerNames.filter((name) => name !== 'discord')
  for (const name of signable) {
    const io = capture()
    t.equal(await sendCommand([name, '--config', configFile], io), 0, `${name}: ${io.stderr()}`)
    t.match(io.stdout(), `sent ${samples[name].defaultType} to `, `${name}: the gateway accepted its sample`)
  }
  const discord = capture()
  t.equal(await sendCommand(['discord', '--config', configFile], discord), 1)
  t.match(discord.stderr(), /send cannot sign a Discord request/)
  // Sorted by source: two events received within one millisecond have ids in random order.
  const stored = (await storedEvents(built.app)).map(({ source, type }) => ({ source, type })).sort((a, b) => a.source.localeCompare(b.source))
  t.same(stored, signable.map((name) => ({ source: name, type: samples[name].defaultType })).sort((a, b) => a.source.localeCompare(b.source)), 'one event of each, with its type')
})
