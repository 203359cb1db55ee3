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
