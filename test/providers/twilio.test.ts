import { createHash, createHmac } from 'node:crypto'
import t from 'tap'
import { samples } from '../../providers/samples.js'
import { twilio } from '../../providers/twilio.js'
import { changeChar, rejects } from './support.js'

// docs/provider-specs.md §4.5: the official vectors (twilio-node's tests), auth token 12345.
const TOKEN = '12345'
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2'
const PARAMS = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' }
const SIG = 'RSOYDt4T1cUTdK1PDd93/VVr8B8='
const options = (publicUrl = URL_) => { const parsed = twilio.parseOptions!({ publicUrl }); if (!('options' in parsed)) throw new Error(parsed.problems.join()); return parsed.options }
const form = (params: Record<string, string> | Array<[string, string]>) => new URLSearchParams(params).toString()

const verify = (signature: string | undefined, body: string, publicUrl = URL_, secrets = [TOKEN]) =>
  twilio.verify({ headers: { 'x-twilio-signature': signature, 'i-twilio-idempotency-token': 'tok-1' }, body: Buffer.from(body) }, secrets, 0, { toleranceMs: 300_000, options: options(publicUrl) })

t.test('the official vector verifies; a voice request gives its CallSid and a type from the parameters', async (t) => {
  // The vector carries no status: adding CallStatus would change what is signed, so the signature holding shows as the 400.
  rejects(t, () => verify(SIG, form(PARAMS)), 'HG_ERR_PAYLOAD_INVALID', 400, [TOKEN])
  rejects(t, () => verify(SIG, form(PARAMS), URL_, ['54321']), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('the vector verifies whatever the parameters\' order on the wire, and with the :443 port Twilio may sign', async (t) => {
  rejects(t, () => verify(SIG, form(Object.entries(PARAMS).reverse())), 'HG_ERR_PAYLOAD_INVALID', 400)
  rejects(t, () => verify('kvajT1Ptam85bY51eRf/AJRuM3w=', form(PARAMS)), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('repeated parameters: values de-duplicated and sorted (twilio-php vector)', async (t) => {
  const body = form([['Sid', 'CA123'], ['SidAccount', 'AC123'], ['Digits', '5678'], ['Digits', '1234'], ['Digits', '1234']])
  rejects(t, () => verify('IK+Dwps556ElfBT0I3Rgjkr1wJU=', body), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('a one-byte change of a parameter, the signature or the URL fails', async (t) => {
  rejects(t, () => verify(SIG, form({ ...PARAMS, Digits: '1235' })), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(SIG, form({ ...PARAMS, Extra: '' })), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(changeChar(SIG, 5), form(PARAMS)), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(SIG, form(PARAMS), URL_.replace('foo=1', 'foo=2')), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verify(undefined, form(PARAMS)), 'HG_ERR_SIGNATURE_MISSING', 401)
  for (const bad of [Buffer.from(SIG, 'base64').toString('hex'), SIG.slice(0, -1), `${SIG}, ${SIG}`]) rejects(t, () => verify(bad, form(PARAMS)), 'HG_ERR_SIGNATURE_INVALID', 401)
})

t.test('our sample (an SMS status callback) verifies: status as type, MessageSid as subject, the idempotency token as key', async (t) => {
  const url = 'https://hooks.example.com/webhooks/twilio'
  const body = samples.twilio.body('delivered', 0)
  const headers = samples.twilio.sign(body, TOKEN, 0, 'delivered', options(url))
  t.match(twilio.verify({ headers, body: Buffer.from(body) }, ['old', TOKEN], 0, { toleranceMs: 0, options: options(url) }), {
    type: 'delivered', subject: /^SM[0-9a-f]{32}$/, dedupKey: headers['i-twilio-idempotency-token']
  })
})

// docs/provider-specs.md §4.5, the official JSON vector (twilio-node's validateRequestWithBody test): the URL with bodySHA256 is signed alone.
const JSON_BODY = '{"property": "value", "boolean": true}'
const JSON_SHA = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620'
const JSON_SIG = 'a9nBmqA0ju/hNViExpshrM61xv4='
const verifyJson = (signature: string | undefined, body: string, query = `foo=1&bar=2&bodySHA256=${JSON_SHA}`, secrets = [TOKEN]) =>
  twilio.verify({ headers: { 'x-twilio-signature': signature }, body: Buffer.from(body), query: new URLSearchParams(query) }, secrets, 0, { toleranceMs: 300_000, options: options(URL_) })

t.test('a JSON body: the official vector verifies over the URL with bodySHA256, and the body is held to that digest', async (t) => {
  // The vector carries no status: the signature and digest holding shows as the 400.
  rejects(t, () => verifyJson(JSON_SIG, JSON_BODY), 'HG_ERR_PAYLOAD_INVALID', 400, [TOKEN])
  rejects(t, () => verifyJson(JSON_SIG, JSON_BODY, undefined, ['54321']), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verifyJson(JSON_SIG, JSON_BODY.replace('value', 'valve')), 'HG_ERR_SIGNATURE_INVALID', 401, [TOKEN])
  rejects(t, () => verifyJson(JSON_SIG, JSON_BODY, `foo=1&bar=2&bodySHA256=${changeChar(JSON_SHA, 3)}`), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verifyJson(JSON_SIG, JSON_BODY, `foo=1&bar=2&bodySHA256=${JSON_SHA}&bodySHA256=${JSON_SHA}`), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verifyJson(JSON_SIG, JSON_BODY, `foo=1&bar=2&bodySHA256=${JSON_SHA.toUpperCase()}`), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verifyJson(changeChar(JSON_SIG, 4), JSON_BODY), 'HG_ERR_SIGNATURE_INVALID', 401)
  rejects(t, () => verifyJson(JSON_SIG, JSON_BODY, 'foo=1&bar=2'), 'HG_ERR_SIGNATURE_INVALID', 401, [TOKEN])
})

t.test('a signed JSON callback gives its type, subject and payload; a signed body that is not a JSON object is a 400', async (t) => {
  const signedJson = (body: string) => {
    const sha = createHash('sha256').update(body).digest('hex')
    return { sig: createHmac('sha1', TOKEN).update(`${URL_}&bodySHA256=${sha}`).digest('base64'), query: `foo=1&bar=2&bodySHA256=${sha}` }
  }
  const body = '{"AccountSid":"AC1","CallSid":"CA9","CallStatus":"completed"}'
  const { sig, query } = signedJson(body)
  t.match(verifyJson(sig, body, query), { type: 'completed', subject: 'CA9', payload: { AccountSid: 'AC1' }, dedupKey: /^sha256:/ })
  for (const bad of ['[1]', 'not json']) {
    const s = signedJson(bad)
    rejects(t, () => verifyJson(s.sig, bad, s.query), 'HG_ERR_PAYLOAD_INVALID', 400)
  }
})
