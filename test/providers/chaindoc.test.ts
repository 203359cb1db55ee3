import { createHash, createHmac } from 'node:crypto'
import t, { type Test } from 'tap'
import { chaindoc } from '../../providers/chaindoc.js'
import { signChaindoc, signChaindocLegacy } from '../../providers/sign.js'
import type { VerifyOptions } from '../../providers/types.js'

// docs/provider-specs.md §3.4 [derived from the SDK test's inputs].
const SECRET = 'webhook-secret'
const TIMESTAMP = '2026-04-03T10:00:00.000Z'
const NOW = Date.parse(TIMESTAMP)
const BODY = Buffer.from('{"id":"2bcb5d52-7d64-43c6-b715-0a72f20d9c2f","type":"contract.created","createdAt":"2026-04-03T10:00:00.000Z","data":{"contractId":"7c2807a3-3ad4-4423-9ebc-0281bff2660b","status":"draft"}}')
const SIGNATURE = 'v1=85343186ee16857d3f1ff50d8e21bc786f98834541576649854f2c548701cdb6'
const LEGACY_BODY = Buffer.from('{"event":"document.signed","timestamp":"2026-01-01T00:00:00.000Z","data":{"documentId":"doc_123"}}')
const LEGACY_SIGNATURE = '937e034f7a22bd9039cebfefac82e8c77683640e653318cf4a7dafca8c46940d'
const OPTIONS = { toleranceMs: 300_000 }

type Headers = Record<string, string | undefined>
const current = (signature = SIGNATURE, timestamp = TIMESTAMP): Headers =>
  ({ 'x-chaindoc-signature': signature, 'x-chaindoc-timestamp': timestamp })
const verify = (headers: Headers, body: Buffer = BODY, secrets = [SECRET], now = NOW, options: VerifyOptions = OPTIONS) =>
  chaindoc.verify({ headers, body }, secrets, now, options)
/** The source's options as chaindoc's parseOptions makes them of `given`. */
function parsed (given: Record<string, unknown>): unknown {
  const result = chaindoc.parseOptions!(given)
  if ('problems' in result) throw new Error(result.problems.join('; '))
  return result.options
}
/** A source that asked for the re-serialised legacy fallback (`options.legacyReserialized: true`). */
const FALLBACK = { ...OPTIONS, options: parsed({ legacyReserialized: true }) }
const verifyWithFallback = (headers: Headers, body: Buffer) => verify(headers, body, [SECRET], NOW, FALLBACK)
/** Current-scheme headers for `body`, signed at the test clock. */
const signed = (body: string): Headers => signChaindoc({ timestampIso: TIMESTAMP, body, secret: SECRET })
const legacySigned = (body: string | Buffer, event = 'document.created'): Headers => signChaindocLegacy({ body, secret: SECRET, event })

function rejects (t: Test, fn: () => unknown, code: string, statusCode: number, secret = SECRET): Error {
  let error: unknown
  try { fn() } catch (err) { error = err }
  t.match(error, { code, statusCode }, `throws ${code} (${statusCode})`)
  const message = error instanceof Error ? error.message : ''
  t.notOk(message.includes(secret), 'the message does not contain the secret')
  return error as Error
}
const changeOneByte = (body: Buffer): Buffer => {
  const copy = Buffer.from(body)
  copy[copy.length - 2] = copy.at(-2)! ^ 0x01
  return copy
}
const flipHex = (hex: string, index: number): string => hex.slice(0, index) + (hex[index] === '0' ? '1' : '0') + hex.slice(index + 1)

t.test('current scheme: the §3.4 vector verifies with the clock at its timestamp', async (t) => {
  t.same(verify(current()), {
    dedupKey: '2bcb5d52-7d64-43c6-b715-0a72f20d9c2f',
    type: 'contract.created',
    occurredAt: TIMESTAMP,
    subject: '7c2807a3-3ad4-4423-9ebc-0281bff2660b',
    payload: JSON.parse(BODY.toString())
  })
})

t.test('current scheme: the §3.4 vector fails after a one-byte change to the body, timestamp or signature', async (t) => {
  rejects(t, () => verify(current(), changeOneByte(BODY)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(current(SIGNATURE, '2026-04-03T10:00:00.001Z')), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(current(flipHex(SIGNATURE, 20))), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(current(flipHex(SIGNATURE, SIGNATURE.length - 1))), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('current scheme: the SDK test case 601 s later is too old', async (t) => {
  const error = rejects(t, () => verify(current(), BODY, [SECRET], Date.parse('2026-04-03T10:10:01.000Z')), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  t.match(error.message, /too old/)
})

t.test('current scheme: accepts exactly 300 s either way and rejects 300.001 s and 301 s', async (t) => {
  t.ok(verify(current(), BODY, [SECRET], NOW + 300_000))
  t.ok(verify(current(), BODY, [SECRET], NOW - 300_000))
  for (const skewMs of [300_001, 301_000]) {
    t.match(rejects(t, () => verify(current(), BODY, [SECRET], NOW + skewMs), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401).message, /too old/)
    t.match(rejects(t, () => verify(current(), BODY, [SECRET], NOW - skewMs), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401).message, /too new/)
  }
})

t.test('current scheme: accepts upper-case hex', async (t) => {
  t.ok(verify(current('v1=' + SIGNATURE.slice(3).toUpperCase())))
})

t.test('current scheme: rejects signatures that are not one v1=<64 hex>', async (t) => {
  const hex = SIGNATURE.slice(3)
  for (const signature of [hex, `v2=${hex}`, `sha256=${hex}`, `v1=${hex.slice(0, 62)}`, `v1=${hex}00`, `v1=${hex}, ${SIGNATURE}`, `V1=${hex}z`]) {
    rejects(t, () => verify(current(signature)), 'HG_ERR_SIGNATURE_INVALID', 401)
  }
})

t.test('current scheme: rejects a timestamp that is not ISO 8601 with a zone', async (t) => {
  for (const timestamp of ['yesterday', '1775210400', '2026-04-03T10:00:00', '2026-04-03', 'Fri, 03 Apr 2026 10:00:00 GMT', '2026-13-03T10:00:00Z']) {
    rejects(t, () => verify(current(SIGNATURE, timestamp)), 'HG_ERR_TIMESTAMP_INVALID', 401)
  }
})

t.test('current scheme: signs the timestamp text as sent, offset included', async (t) => {
  const timestamp = '2026-04-03T12:00:00.000+02:00'
  t.ok(verify(signChaindoc({ timestampIso: timestamp, body: BODY, secret: SECRET })))
})

t.test('current scheme: reports a missing timestamp header', async (t) => {
  t.match(rejects(t, () => verify({ 'x-chaindoc-signature': SIGNATURE }), 'HG_ERR_SIGNATURE_MISSING', 401).message, /x-chaindoc-timestamp/)
  rejects(t, () => verify(current(SIGNATURE, '')), 'HG_ERR_SIGNATURE_MISSING', 401)
})

t.test('rejects a request with no signature header at all', async (t) => {
  t.match(rejects(t, () => verify({ 'x-chaindoc-timestamp': TIMESTAMP }), 'HG_ERR_SIGNATURE_MISSING', 401).message, /x-chaindoc-signature/)
  rejects(t, () => verify({ 'x-chaindoc-signature': ' ', 'x-webhook-signature': '' }), 'HG_ERR_SIGNATURE_MISSING', 401)
})

t.test('rejects a wrong secret and accepts a rotated second secret, in both schemes', async (t) => {
  rejects(t, () => verify(current(), BODY, ['another-secret']), 'HG_ERR_SIGNATURE_INVALID', 401, 'another-secret')
  t.ok(verify(current(), BODY, ['another-secret', SECRET]))
  rejects(t, () => verify({ 'x-webhook-signature': LEGACY_SIGNATURE }, LEGACY_BODY, ['another-secret']), 'HG_ERR_SIGNATURE_INVALID', 401)
  t.ok(verify({ 'x-webhook-signature': LEGACY_SIGNATURE }, LEGACY_BODY, ['another-secret', SECRET]))
})

t.test('never matches with an empty secret', async (t) => {
  const hex = createHmac('sha256', '').update(`${TIMESTAMP}.`).update(BODY).digest('hex')
  rejects(t, () => verify(current(`v1=${hex}`), BODY, ['']), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('current scheme: refuses a correctly signed body that is not an envelope with a 400', async (t) => {
  const envelope = { id: 'e1', type: 'document.created', createdAt: TIMESTAMP, data: { documentId: 'd1' } }
  const bodies = ['not json', '', '[]', 'null',
    JSON.stringify({ ...envelope, id: 7 }), JSON.stringify({ ...envelope, id: '' }), JSON.stringify({ ...envelope, type: null }),
    JSON.stringify({ ...envelope, createdAt: undefined }), JSON.stringify({ ...envelope, data: [] }), JSON.stringify({ ...envelope, data: 'x' }),
    JSON.stringify({ event: 'document.created', documentId: 'd1', timestamp: TIMESTAMP })]
  for (const body of bodies) rejects(t, () => verify(signed(body), Buffer.from(body)), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('current scheme: refuses a correctly signed body that is not UTF-8 with a 400', async (t) => {
  const body = Buffer.from('{"id":"e1","type":"document.created","createdAt":"x","data":{"name":"\xff"}}', 'latin1')
  rejects(t, () => verify(signChaindoc({ timestampIso: TIMESTAMP, body, secret: SECRET }), body), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('current scheme: the subject is the first id in data, by a fixed order, never the delivery id', async (t) => {
  const subjectOf = (data: object): string | undefined => {
    const body = JSON.stringify({ id: 'delivery', type: 'x.y', createdAt: TIMESTAMP, data })
    return verify(signed(body), Buffer.from(body)).subject
  }
  t.equal(subjectOf({ invoiceId: 'i', documentId: 'd', contractId: 'c' }), 'd')
  t.equal(subjectOf({ transactionId: 't', signatureRequestId: 's' }), 's')
  t.equal(subjectOf({ requestId: 'r', invoiceId: 'i' }), 'r')
  t.equal(subjectOf({ id: 'x', transactionId: 't' }), 't')
  t.equal(subjectOf({ id: 'x' }), 'x')
  t.equal(subjectOf({ documentId: 42, id: 'x' }), 'x')
  t.equal(subjectOf({}), undefined)
})

t.test('legacy scheme: the §3.4 vector verifies, keyed by the body digest', async (t) => {
  t.same(verify({ 'x-webhook-signature': LEGACY_SIGNATURE }, LEGACY_BODY), {
    dedupKey: 'sha256:' + createHash('sha256').update(LEGACY_BODY).digest('hex'),
    type: 'document.signed',
    occurredAt: '2026-01-01T00:00:00.000Z',
    subject: 'doc_123',
    payload: JSON.parse(LEGACY_BODY.toString())
  })
  t.ok(verify({ 'x-webhook-signature': LEGACY_SIGNATURE.toUpperCase(), 'x-webhook-event': 'document.signed' }, LEGACY_BODY))
})

t.test('legacy scheme: the §3.4 vector fails after a one-byte change to the body or signature', async (t) => {
  rejects(t, () => verify({ 'x-webhook-signature': LEGACY_SIGNATURE }, changeOneByte(LEGACY_BODY)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({ 'x-webhook-signature': flipHex(LEGACY_SIGNATURE, 0) }, LEGACY_BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify({ 'x-webhook-signature': `sha256=${LEGACY_SIGNATURE}` }, LEGACY_BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
})

// The seed's curl example sends pretty-printed JSON; its verifier HMACs JSON.stringify(req.body).
const PRETTY = '{\n  "event": "document.created",\n  "documentId": "test-123",\n  "name": "Test Document",\n  "timestamp": "2024-12-04T10:30:00.000Z"\n}'

t.test('legacy scheme: a signature over the re-serialised JSON is refused unless the source asks for the fallback', async (t) => {
  const h = legacySigned(JSON.stringify(JSON.parse(PRETTY)))
  rejects(t, () => verify(h, Buffer.from(PRETTY)), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('legacy fallback: accepts the HMAC of the re-serialised JSON, and gives the signed string to store', async (t) => {
  const signed = JSON.stringify(JSON.parse(PRETTY))
  const h = legacySigned(signed)
  const result = verifyWithFallback(h, Buffer.from(PRETTY))
  t.equal(result.type, 'document.created')
  t.equal(result.subject, 'test-123', 'a top-level id when there is no data object')
  t.equal(result.dedupKey, 'sha256:' + createHash('sha256').update(signed).digest('hex'), 'keyed by what was signed')
  t.equal(result.signedBody?.toString(), signed, 'the signed string, not the received bytes, is what is stored')
  t.equal(verifyWithFallback(h, Buffer.from(signed)).signedBody, undefined, 'a raw-bytes match stores the bytes received')
  rejects(t, () => verifyWithFallback(h, Buffer.from(PRETTY.replace('test-123', 'test-124'))), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('legacy fallback: a duplicated key is stored as the signed string, so no parser reads the unsigned first value', async (t) => {
  // JSON.parse keeps the last duplicate: the received bytes re-serialise to the signed string, but a first-key parser reads "B".
  const signed = '{"event":"document.signed","documentId":"A"}'
  const received = Buffer.from('{"event":"document.signed","documentId":"B","documentId":"A"}')
  const h = legacySigned(signed, 'document.signed')
  const result = verifyWithFallback(h, received)
  t.equal(result.signedBody?.toString(), signed)
  t.notMatch(result.signedBody?.toString(), '"B"', 'what nobody signed is not kept')
  t.same(result.payload, { event: 'document.signed', documentId: 'A' })
  t.equal(result.subject, 'A')
  rejects(t, () => verify(h, received), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('legacy fallback: a replay with its whitespace or escapes changed keeps the dedup key, so it is not stored twice', async (t) => {
  const compact = '{"event":"document.created","documentId":"test-123","name":"Tést","timestamp":"2024-12-04T10:30:00.000Z"}'
  const h = legacySigned(compact)
  const first = verify(h, Buffer.from(compact))
  for (const replay of [JSON.stringify(JSON.parse(compact), null, 2), compact.replace('Tést', 'T\\u00e9st'), ' ' + compact + '\n']) {
    t.equal(verifyWithFallback(h, Buffer.from(replay)).dedupKey, first.dedupKey, JSON.stringify(replay.slice(0, 30)))
    rejects(t, () => verify(h, Buffer.from(replay)), 'HG_ERR_SIGNATURE_INVALID', 401)
  }
})

t.test('legacy scheme: a raw-body signature on a body that is not JSON or not UTF-8 is a 400', async (t) => {
  for (const body of [Buffer.from('not json'), Buffer.alloc(0), Buffer.from('[1]'), Buffer.from([0x7b, 0xff, 0x7d])]) {
    rejects(t, () => verify(legacySigned(body), body), 'HG_ERR_PAYLOAD_INVALID', 400)
  }
})

t.test('legacy scheme: the type comes from body.event, else x-webhook-event, and they must agree', async (t) => {
  const noEvent = '{"documentId":"d1","timestamp":"2024-12-04T10:30:00.000Z"}'
  t.equal(verify(legacySigned(noEvent, 'document.verified'), Buffer.from(noEvent)).type, 'document.verified')
  rejects(t, () => verify({ 'x-webhook-signature': legacySigned(noEvent)['x-webhook-signature'] }, Buffer.from(noEvent)), 'HG_ERR_PAYLOAD_INVALID', 400)
  rejects(t, () => verify(legacySigned(LEGACY_BODY, 'document.created'), LEGACY_BODY), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('legacy scheme: the seed doc samples give their subject and time', async (t) => {
  const request = '{"event":"signature.request.completed","signatureRequestId":"req_21096b94498f4a2d9795e810edc2c9a9","documentId":"86840ee4-8bf2-4a91-a289-e99d8307ec25","completedAt":"2024-12-04T10:32:00.000Z","timestamp":"2024-12-04T10:32:00.000Z"}'
  const result = verify(legacySigned(request, 'signature.request.completed'), Buffer.from(request))
  t.equal(result.subject, '86840ee4-8bf2-4a91-a289-e99d8307ec25')
  t.equal(result.occurredAt, '2024-12-04T10:32:00.000Z')
  const untimed = '{"event":"document.created","timestamp":1733308200000}'
  t.equal(verify(legacySigned(untimed), Buffer.from(untimed)).occurredAt, undefined)
})

t.test('a present x-chaindoc-signature never falls back to the legacy scheme', async (t) => {
  const h = { ...legacySigned(LEGACY_BODY, 'document.signed'), ...current(flipHex(SIGNATURE, 5)) }
  rejects(t, () => verify(h, LEGACY_BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('names itself chaindoc, keeps both header families and vets secrets loosely', async (t) => {
  t.equal(chaindoc.name, 'chaindoc')
  t.ok(chaindoc.storedHeaders.includes('x-chaindoc-timestamp') && chaindoc.storedHeaders.includes('x-webhook-signature'))
  t.equal(chaindoc.validateSecret?.(SECRET), null, 'short secrets pass: the SDK test secret is 14 chars')
  t.match(chaindoc.validateSecret?.(''), /empty/)
  t.match(chaindoc.validateSecret?.(' padded-secret'), /whitespace/)
  t.match(chaindoc.validateSecret?.('padded-secret\n'), /whitespace/)
  t.notOk(chaindoc.validateSecret?.('padded-secret\n')?.includes('padded-secret'))
})

t.test('legacyScheme false: a well-signed legacy request is refused as a signature that does not match; the current scheme still verifies', async (t) => {
  const off = { ...OPTIONS, options: parsed({ legacyScheme: false }) }
  t.ok(verify({ 'x-webhook-signature': LEGACY_SIGNATURE }, LEGACY_BODY), 'accepted while the scheme is on')
  rejects(t, () => chaindoc.verify({ headers: { 'x-webhook-signature': LEGACY_SIGNATURE }, body: LEGACY_BODY }, [SECRET], NOW, off), 'HG_ERR_SIGNATURE_INVALID', 401)
  const missing = rejects(t, () => chaindoc.verify({ headers: {}, body: LEGACY_BODY }, [SECRET], NOW, off), 'HG_ERR_SIGNATURE_MISSING', 401)
  t.notMatch(missing.message, /x-webhook-signature/, 'a source without the legacy scheme does not ask for its header')
  t.match(chaindoc.verify({ headers: current(), body: BODY }, [SECRET], NOW, off), { dedupKey: '2bcb5d52-7d64-43c6-b715-0a72f20d9c2f' })
})

t.test('options: legacyScheme on and legacyReserialized off by default; booleans only; the fallback needs the scheme it falls back from', async (t) => {
  t.same(parsed({}), { legacyScheme: true, legacyReserialized: false })
  t.same(parsed({ legacyScheme: false }), { legacyScheme: false, legacyReserialized: false })
  t.same(chaindoc.parseOptions!({ legacyScheme: 'no', legacyReserialised: true }), { problems: ["unknown key 'legacyReserialised' (known: legacyScheme, legacyReserialized)", 'legacyScheme: true or false'] })
  t.same(chaindoc.parseOptions!({ legacyScheme: false, legacyReserialized: true }), { problems: ['legacyReserialized: the legacy scheme is switched off (legacyScheme: false), so there is nothing to fall back from'] })
})
