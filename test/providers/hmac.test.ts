import { createHmac } from 'node:crypto'
import t from 'tap'
import { hmac } from '../../providers/hmac.js'
import { samples } from '../../providers/samples.js'
import type { ParsedOptions } from '../../providers/types.js'
import { parseConfig } from '../../src/config/load.js'
import { changeChar, flipByte, rejects } from './support.js'

const scheme = (options: Record<string, unknown>): unknown => {
  const parsed = hmac.parseOptions!(options) as ParsedOptions
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '))
  return parsed.options
}
const NOW = 1_700_000_000_000
const verify = (options: unknown, headers: Record<string, string | undefined>, body: Buffer | string, secrets: string[], now = NOW) =>
  hmac.verify({ headers, body: Buffer.from(body) }, secrets, now, { toleranceMs: 300_000, options })

// GitHub's documented vector (docs/provider-specs.md §4.1) configured as a generic scheme; octokit's has a JSON body.
const GITHUB = scheme({ header: 'X-Hub-Signature-256', prefix: 'sha256=', typeHeader: 'X-GitHub-Event', dedupHeader: 'X-GitHub-Delivery' })
const OCTOKIT = { secret: 'mysecret', body: '{"foo":"bar"}', signature: 'sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3' }

t.test('a published vector (octokit, via a GitHub-like scheme) verifies; a one-byte change of body or MAC fails', async (t) => {
  const headers = { 'x-hub-signature-256': OCTOKIT.signature, 'x-github-event': 'push', 'x-github-delivery': 'd-1' }
  t.same(verify(GITHUB, headers, OCTOKIT.body, [OCTOKIT.secret]), { dedupKey: 'd-1', type: 'push', payload: { foo: 'bar' } })
  rejects(t, () => verify(GITHUB, headers, flipByte(OCTOKIT.body, 2), [OCTOKIT.secret]), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(GITHUB, { ...headers, 'x-hub-signature-256': changeChar(OCTOKIT.signature, 30) }, OCTOKIT.body, [OCTOKIT.secret]), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(GITHUB, { ...headers, 'x-hub-signature-256': OCTOKIT.signature.slice(7) }, OCTOKIT.body, [OCTOKIT.secret]), 'HG_ERR_SIGNATURE_INVALID', 401, [OCTOKIT.secret])
})

t.test('a timestamped base64 sha512 scheme: signed as configured, tolerance both ways, one-byte timestamp change fails', async (t) => {
  const options = scheme({ header: 'x-sig', algorithm: 'sha512', encoding: 'base64', signed: 'v1:{timestamp}:{body}', timestampHeader: 'x-ts', dedupPointer: '/meta/id', typePointer: '/event' })
  const body = '{"event":"invoice.paid","meta":{"id":42}}'
  const ts = String(NOW / 1000)
  const mac = createHmac('sha512', 'k').update(`v1:${ts}:${body}`).digest('base64')
  t.same(verify(options, { 'x-sig': mac, 'x-ts': ts }, body, ['k']), { dedupKey: '42', type: 'invoice.paid', payload: JSON.parse(body) })
  rejects(t, () => verify(options, { 'x-sig': mac, 'x-ts': String(Number(ts) + 1) }, body, ['k']), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(options, { 'x-sig': mac, 'x-ts': ts }, body, ['k'], NOW + 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(options, { 'x-sig': mac, 'x-ts': ts }, body, ['k'], NOW - 301_000), 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE', 401)
  rejects(t, () => verify(options, { 'x-sig': mac, 'x-ts': `${ts}.5` }, body, ['k']), 'HG_ERR_TIMESTAMP_INVALID', 401)
  rejects(t, () => verify(options, { 'x-sig': mac }, body, ['k']), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => verify(options, { 'x-sig': createHmac('sha512', 'k').update(`v1:${ts}:${body}`).digest('hex'), 'x-ts': ts }, body, ['k']), 'HG_ERR_SIGNATURE_INVALID', 401)
  const noId = '{"event":"x"}'
  rejects(t, () => verify(options, { 'x-sig': createHmac('sha512', 'k').update(`v1:${ts}:${noId}`).digest('base64'), 'x-ts': ts }, noId, ['k']), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('defaults: sha256 hex over the body, type at /type, dedup on the body digest; sha1 too', async (t) => {
  const body = '{"type":"thing.happened"}'
  t.match(verify(scheme({ header: 'x-sig' }), { 'x-sig': createHmac('sha256', 'k').update(body).digest('hex') }, body, ['k']), { type: 'thing.happened', dedupKey: /^sha256:[0-9a-f]{64}$/ })
  t.ok(verify(scheme({ header: 'x-sig', algorithm: 'sha1' }), { 'x-sig': createHmac('sha1', 'k').update(body).digest('hex') }, body, ['k']))
  rejects(t, () => verify(scheme({ header: 'x-sig' }), {}, body, ['k']), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => verify(scheme({ header: 'x-sig' }), { 'x-sig': createHmac('sha256', 'k').update('nope').digest('hex') }, 'nope', ['k']), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('the sample signs per the scheme and verifies', async (t) => {
  const options = scheme({ header: 'X-Acme-Signature', prefix: 'sha512=', algorithm: 'sha512', encoding: 'base64', signed: '{timestamp}.{body}', timestampHeader: 'X-Acme-Timestamp', dedupPointer: '/id' })
  const body = samples.hmac.body('order.created', NOW)
  const headers = samples.hmac.sign(body, 'k', NOW, 'order.created', options)
  t.match(verify(options, headers, body, ['other', 'k']), { type: 'order.created', dedupKey: JSON.parse(body).id })
})

t.test('config refuses a bad scheme, listing every problem with its key, and requires the options', async (t) => {
  const sources = (options?: Record<string, unknown>) => ({ server: { host: '127.0.0.1' }, sources: { acme: { provider: 'hmac', secret: 's', ...(options === undefined ? {} : { options }) } } })
  t.throws(() => parseConfig(sources(), {}), { message: /sources\.acme\.options: header: required/ })
  const err = (() => { try { parseConfig(sources({ header: 'bad header', algorithm: 'md5', encoding: 'hex64', signed: '{body}.{timestamp}', dedupHeader: 'a', dedupPointer: '/b', colour: 1 }), {}) } catch (e) { return e as Error } })()
  for (const key of ['header: not a header name', 'algorithm: expected', 'encoding: expected', 'signed: must end', 'dedupHeader, dedupPointer', "unknown key 'colour'"]) t.match(err?.message, `sources.acme.options: ${key}`)
  t.throws(() => parseConfig(sources({ header: 'x', signed: '{timestamp}.{body}' }), {}), { message: /timestampHeader: give it exactly when/ })
  t.throws(() => parseConfig(sources({ header: 'x', typePointer: 'type' }), {}), { message: /typePointer: not a JSON pointer/ })
  t.ok(Object.isFrozen(parseConfig(sources({ header: 'x' }), {}).sources.acme!.options))
})
