import t from 'tap'
import { parseConfig } from '../../src/config/load.js'
import { createSenderRegistry, destinationKind, SENDER_FACTORIES } from '../../src/destinations/registry.js'
import type { Sender } from '../../src/destinations/sender.js'
import { TestClock } from '../helper.js'
import { startReceiver } from '../fixtures/receiver.js'

const event = { id: 'evt_1', source: 'clerk', provider: 'clerk', dedupKey: 'k', type: 'user.created', subject: null, occurredAt: null, receivedAt: 0, body: new Uint8Array(Buffer.from('{}')) }

t.test('a destination\'s kind follows from its URL\'s scheme', async (t) => {
  t.equal(destinationKind({ name: 'a', url: 'http://127.0.0.1/hooks' }), 'http')
  t.equal(destinationKind({ name: 'b', url: 'https://example.com/hooks' }), 'http')
  t.throws(() => destinationKind({ name: 'q', url: 'amqp://127.0.0.1/queue' }), /destination 'q': no sender for the scheme/)
  t.same(Object.keys(SENDER_FACTORIES), ['http'])
})

t.test('the registry builds each destination\'s sender with its kind\'s factory', async (t) => {
  const receiver = await startReceiver(t)
  const config = parseConfig({ destinations: { hooks: { url: receiver.url } } }, {})
  const built: string[] = []
  const registry = createSenderRegistry(new TestClock(), {
    http: (destination, clock) => {
      built.push(destination.name)
      return SENDER_FACTORIES.http(destination, clock)
    }
  })
  const sender: Sender = registry.senderFor(config.destinations.hooks!)
  t.teardown(() => sender.close())
  t.same(built, ['hooks'])
  t.match(await sender.send(event), { ok: true, status: 200 }, 'the http sender it built reaches the receiver')
  t.equal(receiver.requests.length, 1)
})
