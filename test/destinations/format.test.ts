import t from 'tap'
import { HTTP, type CloudEvent } from 'cloudevents'
import { formatEvent } from '../../src/destinations/format.js'
import type { OutgoingEvent } from '../../src/destinations/types.js'

// Key order, spacing and a big number the way the provider sent them: re-serializing would change all three.
const providerBody = '{"type":"user.created", "data":{"id":"user_1","first_name":"Zoë","big":12345678901234567890},"object":"event"}'

const event = (over: Partial<OutgoingEvent> = {}): OutgoingEvent => ({
  id: 'evt_0mh9x3k00abcdefghijklmno',
  source: 'clerk',
  provider: 'clerk',
  dedupKey: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
  type: 'user.created',
  subject: 'user_1',
  occurredAt: '2026-11-23T11:59:58.000Z',
  receivedAt: Date.UTC(2026, 10, 23, 12, 0, 0),
  body: Buffer.from(providerBody),
  ...over
})

t.test('is a structured CloudEvent the official SDK parses and validates', async (t) => {
  const { body, headers } = formatEvent(event(), 'cloudevents')
  t.equal(headers['content-type'], 'application/cloudevents+json')
  const parsed = HTTP.toEvent({ headers, body: body.toString() }) as CloudEvent<{ data: { id: string } }>
  t.ok(parsed.validate())
  t.match(parsed, {
    specversion: '1.0',
    id: 'evt_0mh9x3k00abcdefghijklmno',
    source: '/sources/clerk',
    type: 'user.created',
    time: '2026-11-23T11:59:58.000Z',
    subject: 'user_1',
    datacontenttype: 'application/json',
    provider: 'clerk',
    dedupkey: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'
  })
  t.equal(parsed.data?.data.id, 'user_1')
})

t.test('carries the provider bytes as data, spliced in unchanged', async (t) => {
  const { body } = formatEvent(event(), 'cloudevents')
  const text = body.toString()
  t.ok(text.endsWith(`,"data":${providerBody}}`), 'the body as sent, spacing and all')
  t.ok(text.includes('12345678901234567890'), 'a number beyond 2^53 is not rounded')
  t.same(JSON.parse(text).data, JSON.parse(providerBody))
})

t.test('uses the receive time when the provider gives none, and leaves out an unknown subject', async (t) => {
  const { body, headers } = formatEvent(event({ occurredAt: null, subject: null }), 'cloudevents')
  const parsed = HTTP.toEvent({ headers, body: body.toString() }) as CloudEvent
  t.equal(parsed.time, '2026-11-23T12:00:00.000Z')
  t.notOk('subject' in JSON.parse(body.toString()))
})

t.test('falls back to the receive time when the provider time does not parse', async (t) => {
  const { body } = formatEvent(event({ occurredAt: 'yesterday-ish' }), 'cloudevents')
  t.equal(JSON.parse(body.toString()).time, '2026-11-23T12:00:00.000Z')
})

t.test('escapes attribute text that JSON must escape', async (t) => {
  const { body, headers } = formatEvent(event({ type: 'odd "type"\n', dedupKey: 'k\\1' }), 'cloudevents')
  const parsed = HTTP.toEvent({ headers, body: body.toString() }) as CloudEvent
  t.equal(parsed.type, 'odd "type"\n')
  t.equal(parsed.dedupkey, 'k\\1')
})

t.test('raw sends the provider bytes untouched and names the event in headers', async (t) => {
  const { body, headers } = formatEvent(event({ source: 'clerk-prod' }), 'raw')
  t.equal(body.toString(), providerBody)
  t.same(headers, {
    'content-type': 'application/json',
    'hookgate-event-id': 'evt_0mh9x3k00abcdefghijklmno',
    'hookgate-source': 'clerk-prod',
    'hookgate-provider': 'clerk',
    'hookgate-event-type': 'user.created'
  })
})

t.test('raw percent-encodes an event type a header cannot carry', async (t) => {
  const { headers } = formatEvent(event({ type: 'naïve\r\nx: y' }), 'raw')
  t.equal(headers['hookgate-event-type'], 'na%C3%AFve%0D%0Ax%3A%20y')
})

t.test('leaves a leading UTF-8 byte order mark out of a CloudEvent, and in the raw bytes', async (t) => {
  const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(providerBody)])
  const { body } = formatEvent(event({ body: withBom }), 'cloudevents')
  const parsed = JSON.parse(body.toString('utf8')) as { data: { data: { id: string } } }
  t.equal(parsed.data.data.id, 'user_1', 'valid JSON')
  t.ok(body.includes(Buffer.from(providerBody)), 'the rest byte for byte')
  t.ok(formatEvent(event({ body: withBom }), 'raw').body.equals(withBom), 'raw: the signed bytes, mark included')
})
