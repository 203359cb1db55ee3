/**
 * Micro-benchmark of signature verification alone, run by hand:
 *   npx tsx bench/verify.ts
 * Target: ≥ 250k Standard Webhooks verifications/s of a 1.6 KB body on one core.
 * svix's own Webhook.verify is measured alongside as the yardstick.
 */
import { Webhook } from 'svix'
import { chaindoc } from '../providers/chaindoc.js'
import { clerk } from '../providers/clerk.js'
import { sampleEvent } from '../providers/samples.js'
import { signChaindoc, signClerk } from '../providers/sign.js'
import { verifyStandardWebhook } from '../providers/standard-webhooks.js'

const BODY_BYTES = 1600
const DURATION_MS = 2000
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const OPTIONS = { toleranceMs: 300_000 }
const now = Date.now()

// The Clerk user.created sample, padded to exactly BODY_BYTES.
const sample = JSON.parse(sampleEvent('clerk', 'user.created', now))
sample.data.unsafe_metadata = { note: '' }
sample.data.unsafe_metadata.note = 'x'.repeat(BODY_BYTES - Buffer.byteLength(JSON.stringify(sample)))
const text = JSON.stringify(sample)
const body = Buffer.from(text)
const clerkHeaders = signClerk({ id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestampSec: Math.floor(now / 1000), body, secret: SECRET })
const rotated = ['whsec_' + Buffer.alloc(32, 7).toString('base64'), SECRET]

const chaindocText = JSON.stringify({ id: 'e1', type: 'document.created', createdAt: new Date(now).toISOString(), data: { documentId: 'd1', note: '' } })
const chaindocBody = Buffer.from(chaindocText.replace('"note":""', `"note":"${'x'.repeat(BODY_BYTES - chaindocText.length)}"`))
const chaindocHeaders = signChaindoc({ timestampIso: new Date(now).toISOString(), body: chaindocBody, secret: 'webhook-secret' })

const svix = new Webhook(SECRET)
const cases: Array<[string, () => unknown]> = [
  ['verifyStandardWebhook (signature only)', () => verifyStandardWebhook({ headers: clerkHeaders, body }, [SECRET], now, OPTIONS)],
  ['verifyStandardWebhook, 2 secrets, 2nd matches', () => verifyStandardWebhook({ headers: clerkHeaders, body }, rotated, now, OPTIONS)],
  ['clerk.verify (signature + JSON.parse)', () => clerk.verify({ headers: clerkHeaders, body }, [SECRET], now, OPTIONS)],
  ['chaindoc.verify, 2.x scheme (signature + JSON.parse)', () => chaindoc.verify({ headers: chaindocHeaders, body: chaindocBody }, ['webhook-secret'], now, OPTIONS)],
  ['JSON.parse of the same body alone (yardstick)', () => JSON.parse(text)],
  ['svix Webhook.verify (yardstick, parses JSON too)', () => svix.verify(body, clerkHeaders)]
]

function measure (run: () => unknown): number {
  for (let i = 0; i < 20_000; i++) run() // warm up the JIT
  let count = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(DURATION_MS) * 1_000_000n
  let at = start
  while (at < end) {
    for (let i = 0; i < 1000; i++) run()
    count += 1000
    at = process.hrtime.bigint()
  }
  return count / (Number(at - start) / 1e9)
}

console.log(`node ${process.version}, body ${body.length} bytes, ${DURATION_MS} ms per case`)
for (const [name, run] of cases) console.log(`${name.padEnd(55)} ${Math.round(measure(run)).toLocaleString('en-US').padStart(10)} /s`)
