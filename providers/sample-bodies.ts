/** The bodies of samples.ts: what each provider sends, with fresh ids, for the type asked for. */
import { randomBytes, randomUUID } from 'node:crypto'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** Clerk-looking id: prefix and 27 base62 characters (a KSUID's length). */
function clerkId (prefix: string): string {
  return `${prefix}_${Array.from(randomBytes(27), (byte) => BASE62[byte % 62]).join('')}`
}

export function clerkEvent (type: string, now: number): object {
  const userId = clerkId('user')
  const emailId = clerkId('idn')
  const data = type.startsWith('session.')
    ? { abandon_at: now + 30 * 86_400_000, client_id: clerkId('client'), created_at: now, expire_at: now + 7 * 86_400_000,
        id: clerkId('sess'), last_active_at: now, object: 'session', status: 'active', updated_at: now, user_id: userId }
    : {
        backup_code_enabled: false, banned: false, birthday: '', created_at: now, create_organization_enabled: true, delete_self_enabled: true,
        email_addresses: [{ email_address: 'example@example.org', id: emailId, linked_to: [], object: 'email_address',
          verification: { status: 'verified', strategy: 'ticket' } }],
        enterprise_accounts: [], external_accounts: [], external_id: '567772', first_name: 'Example', gender: '', has_image: false, id: userId,
        image_url: 'https://img.clerk.com/xxxxxx', last_active_at: now, last_name: 'Example', last_sign_in_at: now, locked: false,
        legal_accepted_at: null, locale: 'en-US', lockout_expires_in_seconds: null, object: 'user', organization_memberships: [],
        password_enabled: true, password_last_updated_at: now, phone_numbers: [], primary_email_address_id: emailId, primary_phone_number_id: null,
        primary_web3_wallet_id: null, private_metadata: {}, profile_image_url: 'https://www.gravatar.com/avatar?d=mp',
        public_metadata: {}, totp_enabled: false, two_factor_enabled: false, unsafe_metadata: {}, updated_at: now, username: null,
        verification_attempts_remaining: 100, web3_wallets: []
      }
  return {
    data,
    event_attributes: { http_request: { client_ip: '0.0.0.0', user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36' } },
    instance_id: 'ins_123',
    object: 'event',
    timestamp: now,
    type
  }
}

export function githubEvent (type: string, now: number): object {
  const [event, action] = type.split('.')
  const repository = { id: 1296269, full_name: 'octocat/Hello-World', name: 'Hello-World', owner: { login: 'octocat', id: 1 }, private: false }
  const sender = { login: 'octocat', id: 1, type: 'User' }
  if (event === 'push') {
    const sha = randomBytes(20).toString('hex')
    return { ref: 'refs/heads/main', before: randomBytes(20).toString('hex'), after: sha, repository, sender, pusher: { name: 'octocat' },
      head_commit: { id: sha, message: 'Update README', timestamp: new Date(now).toISOString() } }
  }
  return { ...(action === undefined ? {} : { action }), number: 1347, pull_request: { id: 1, number: 1347, state: 'open', title: 'Amazing new feature' }, repository, sender }
}

export function stripeEvent (type: string, now: number): object {
  const created = Math.floor(now / 1000)
  const object = type.startsWith('customer.')
    ? { id: `cus_${randomBytes(7).toString('hex')}`, object: 'customer', email: 'jenny.rosen@example.com', created, livemode: false }
    : { id: `pi_${randomBytes(12).toString('hex')}`, object: 'payment_intent', amount: 2000, currency: 'usd', status: 'succeeded', created, livemode: false }
  return { id: `evt_${randomBytes(12).toString('hex')}`, object: 'event', api_version: '2024-06-20', created, data: { object },
    livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type }
}

export function chaindocEnvelope (type: string, now: number): object {
  const resource = type.split('.')[0]
  // The status is what the type says happened (document.signed → signed), so a sample never contradicts itself.
  const status = type.slice(type.lastIndexOf('.') + 1)
  const data = resource === 'document' ? { documentId: randomUUID(), status }
    : resource === 'signature' ? { signatureRequestId: randomUUID(), documentId: randomUUID(), status }
    : resource === 'contract' || resource === 'additional_agreement' ? { contractId: randomUUID(), status }
    : resource === 'invoice' ? { invoiceId: randomUUID(), status }
    : resource === 'transaction' ? { transactionId: randomUUID(), status }
    : { id: randomUUID() }
  return { id: randomUUID(), type, createdAt: new Date(now).toISOString(), data }
}

export function slackEventCallback (type: string, now: number): object {
  const id = (prefix: string, n: number) => prefix + Array.from(randomBytes(n), (b) => BASE62[b % 36]!.toUpperCase()).join('')
  const ts = (now / 1000).toFixed(6)
  return {
    token: 'XXYYZZ', team_id: 'T0001', api_app_id: id('A', 10),
    event: { type, user: id('U', 10), text: '<@U0LAN0Z89> is it everything a river should be?', ts, channel: id('C', 10), event_ts: ts },
    type: 'event_callback', event_id: id('Ev', 10), event_time: Math.floor(now / 1000),
    authorizations: [{ enterprise_id: null, team_id: 'T0001', user_id: 'U0LAN0Z89', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false, event_context: id('4-', 24)
  }
}

export function discordInteraction (now: number): object {
  // Discord ids are snowflakes: milliseconds since 2015 shifted left 22 bits.
  const snowflake = () => String((BigInt(now - 1_420_070_400_000) << 22n) | BigInt(randomBytes(2).readUInt16BE()))
  return {
    app_permissions: '442368', application_id: snowflake(), channel_id: snowflake(), guild_id: snowflake(), id: snowflake(),
    type: 2, version: 1, token: randomBytes(24).toString('base64url'), locale: 'en-US',
    data: { id: snowflake(), name: 'blep', type: 1, options: [{ name: 'animal', type: 3, value: 'animal_dog' }] },
    member: { user: { id: snowflake(), username: 'example', global_name: 'Example' }, roles: [], permissions: '2147483647' }
  }
}

export function metaNotification (type: string, now: number): object {
  const dot = type.indexOf('.')
  const object = dot < 0 ? type : type.slice(0, dot)
  const field = dot < 0 ? 'messages' : type.slice(dot + 1)
  const seconds = String(Math.floor(now / 1000))
  return {
    object,
    entry: [{
      id: '102290129340398',
      changes: [{
        field,
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
          contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
          messages: [{ from: '16505551234', id: `wamid.${randomBytes(24).toString('base64')}`, timestamp: seconds, text: { body: 'Does it come in another color?' }, type: 'text' }]
        }
      }]
    }]
  }
}

export function zoomEvent (type: string, now: number): object {
  const meetingId = 80000000000 + (randomBytes(4).readUInt32BE() % 9_000_000_000)
  return {
    event: type,
    event_ts: now,
    payload: {
      account_id: randomBytes(11).toString('base64url'),
      object: {
        id: String(meetingId), uuid: randomBytes(16).toString('base64'), host_id: randomBytes(11).toString('base64url'), topic: 'Weekly sync',
        type: 2, start_time: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'), timezone: 'Europe/Berlin', duration: 30
      }
    }
  }
}
