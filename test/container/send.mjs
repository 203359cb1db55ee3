// Sends one signed webhook to a running gateway, the way the provider does,
// and prints the gateway's answer as "<event id> <duplicate>".
//
//   node send.mjs clerk|chaindoc BASE_URL SECRET STATE_FILE
//
// The first call for a STATE_FILE makes a new event and saves its delivery id
// and body there; a later call with the same file re-sends that delivery, as
// a provider's retry does: same id and bytes, a fresh timestamp and signature.
// Signing is done here, not with the gateway's own helpers, so the image is
// checked against the providers' schemes rather than against itself:
// Clerk with svix's Webhook.sign, Chaindoc per SDK 2.x (docs/provider-specs.md §3.2).
import { createHmac, randomUUID } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { Webhook } from 'svix'

const [provider, baseUrl, secret, stateFile] = process.argv.slice(2)
if (stateFile === undefined || !['clerk', 'chaindoc'].includes(provider)) {
  console.error('usage: send.mjs clerk|chaindoc BASE_URL SECRET STATE_FILE')
  process.exit(2)
}

const now = new Date()
const state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : newEvent(provider, now)
writeFileSync(stateFile, JSON.stringify(state))

const headers = provider === 'clerk' ? signClerk(state, now) : signChaindoc(state, now)
const res = await fetch(`${baseUrl}/webhooks/${provider}`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: state.body,
  signal: AbortSignal.timeout(10_000)
})
const text = await res.text()
if (res.status !== 200) {
  console.error(`POST /webhooks/${provider} answered ${res.status}: ${text}`)
  process.exit(1)
}
const answer = JSON.parse(text)
console.log(`${answer.id} ${answer.duplicate}`)

function newEvent (provider, now) {
  if (provider === 'clerk') {
    const userId = 'user_' + randomUUID().replace(/-/g, '')
    return {
      deliveryId: 'msg_' + randomUUID().replace(/-/g, ''),
      body: JSON.stringify({
        data: { id: userId, object: 'user', first_name: 'Container', last_name: 'Test', created_at: now.getTime() },
        instance_id: 'ins_container_test',
        object: 'event',
        timestamp: now.getTime(),
        type: 'user.created'
      })
    }
  }
  const deliveryId = randomUUID()
  return {
    deliveryId,
    body: JSON.stringify({ id: deliveryId, type: 'document.signed', createdAt: now.toISOString(), data: { documentId: randomUUID() } })
  }
}

function signClerk ({ deliveryId, body }, now) {
  const signature = new Webhook(secret).sign(deliveryId, now, body)
  return { 'svix-id': deliveryId, 'svix-timestamp': String(Math.floor(now.getTime() / 1000)), 'svix-signature': signature }
}

function signChaindoc ({ deliveryId, body }, now) {
  const timestamp = now.toISOString()
  const hex = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}.${body}`).digest('hex')
  return {
    'x-chaindoc-signature': `v1=${hex}`,
    'x-chaindoc-timestamp': timestamp,
    'x-chaindoc-event': 'document.signed',
    'x-chaindoc-delivery-id': deliveryId
  }
}
