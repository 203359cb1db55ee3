import t from 'tap'
import { sign, verify as octokitVerify } from '@octokit/webhooks-methods'
import { github } from '../../providers/github.js'
import { samples } from '../../providers/samples.js'
import { changeChar, flipByte, NOW, rejects } from './support.js'

// docs/provider-specs.md §4.1: GitHub's documented vector and two of octokit's.
const DOCS = { secret: "It's a Secret to Everybody", body: 'Hello, World!', signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' }
const OCTOKIT = { secret: 'mysecret', body: '{"foo":"bar"}', signature: 'sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3' }
const ESCAPES = {
  secret: 'development',
  body: '{"foo":"Foo\\n\\u001B[34mbar: ♥♥♥♥♥♥♥♥\\nthis-is-lost\\u001B[0m\\u001B[2K"}',
  signature: 'sha256=afecc3caa27548bb90d51a50384cb2868b9a3327b4ad6a01c9bd4ed0f8b0b12c'
}
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958'

type Headers = Record<string, string | undefined>
const headers = (signature: string, event = 'push'): Headers => ({ 'x-hub-signature-256': signature, 'x-github-event': event, 'x-github-delivery': DELIVERY })
const verify = (h: Headers, body: Buffer | string, secrets: string[]) => github.verify({ headers: h, body: Buffer.from(body) }, secrets, 0, { toleranceMs: 300_000 })

t.test('the documented vector signs: its body is not JSON, so it is refused only after the signature holds', async (t) => {
  rejects(t, () => verify(headers(DOCS.signature), DOCS.body, [DOCS.secret]), 'HG_ERR_PAYLOAD_INVALID', 400, [DOCS.secret])
  rejects(t, () => verify(headers(DOCS.signature), DOCS.body, ['another']), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test("octokit's vectors verify, uppercase \\u001B escapes included (the exact bytes, never re-serialised)", async (t) => {
  t.match(verify(headers(OCTOKIT.signature), OCTOKIT.body, [OCTOKIT.secret]), { dedupKey: DELIVERY, type: 'push', payload: { foo: 'bar' } })
  t.equal(verify(headers(ESCAPES.signature), ESCAPES.body, [ESCAPES.secret]).type, 'push')
  rejects(t, () => verify(headers(ESCAPES.signature), JSON.stringify(JSON.parse(ESCAPES.body)), [ESCAPES.secret]), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('a one-byte change to the body or the signature fails', async (t) => {
  rejects(t, () => verify(headers(OCTOKIT.signature), flipByte(OCTOKIT.body, 3), [OCTOKIT.secret]), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(headers(changeChar(OCTOKIT.signature, 20)), OCTOKIT.body, [OCTOKIT.secret]), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test("verifies what @octokit/webhooks-methods signs, and octokit accepts our sample", async (t) => {
  const secret = 'rotating-new-secret'
  const body = samples.github.body('pull_request.opened', NOW)
  const signature = await sign(secret, body)
  t.match(verify(headers(signature, 'pull_request'), body, ['old-secret', secret]), { type: 'pull_request.opened', subject: 'octocat/Hello-World', dedupKey: DELIVERY })
  const ours = samples.github.sign(body, secret, NOW, 'pull_request.opened')
  t.equal(await octokitVerify(secret, body, ours['x-hub-signature-256']!), true)
  t.equal(ours['x-github-event'], 'pull_request')
})

t.test('refuses a missing, SHA-1, duplicated or uppercase-prefixed signature, and a missing event header', async (t) => {
  rejects(t, () => verify({ ...headers(OCTOKIT.signature), 'x-hub-signature-256': undefined }, OCTOKIT.body, [OCTOKIT.secret]), 'HG_ERR_SIGNATURE_MISSING', 401)
  for (const bad of ['sha1=' + 'a'.repeat(40), `${OCTOKIT.signature}, ${OCTOKIT.signature}`, OCTOKIT.signature.replace('sha256', 'SHA256x'), OCTOKIT.signature.slice(7)]) {
    rejects(t, () => verify(headers(bad), OCTOKIT.body, [OCTOKIT.secret]), 'HG_ERR_SIGNATURE_INVALID', 401)
  }
  rejects(t, () => verify({ ...headers(OCTOKIT.signature), 'x-github-event': undefined }, OCTOKIT.body, [OCTOKIT.secret]), 'HG_ERR_PAYLOAD_INVALID', 400)
  rejects(t, () => verify(headers(OCTOKIT.signature), OCTOKIT.body, ['']), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('reads a form-encoded delivery (payload=…), and dedups on the body digest without a delivery id', async (t) => {
  const body = 'payload=' + encodeURIComponent('{"action":"created","zen":"Keep it simple."}')
  const signature = await sign('s3cret', body)
  const result = verify({ ...headers(signature, 'star'), 'content-type': 'application/x-www-form-urlencoded', 'x-github-delivery': undefined }, body, ['s3cret'])
  t.match(result, { type: 'star.created', dedupKey: /^sha256:[0-9a-f]{64}$/, payload: { zen: 'Keep it simple.' } })
  const formSignature = await sign('s3cret', 'a=1')
  rejects(t, () => verify({ ...headers(formSignature, 'star'), 'content-type': 'application/x-www-form-urlencoded' }, 'a=1', ['s3cret']), 'HG_ERR_PAYLOAD_INVALID', 400)
})
