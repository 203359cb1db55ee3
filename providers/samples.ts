/**
 * A realistic, correctly signed sample for each provider: what `hookgate send`
 * posts, and what tests and the benchmark build on. One row per provider, and
 * the compiler refuses a provider without one, so none falls through to
 * another's sample.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { ProviderName } from './index.js'
import { signChaindoc, signClerk, signMeta, signSlack } from './sign.js'

export interface ProviderSample {
  /** What `send` posts when no --type is given: the provider's most common event. */
  readonly defaultType: string
  /** A body the provider would send for `type`. */
  body (type: string, now: number): string
  /** The headers the provider would send with `body`, signed with `secret` at `now`. */
  sign (body: string, secret: string, now: number): Record<string, string>
}

export const samples = {
  // Clerk's user.created sample (§2.4, ~1.5 KB), sent through Svix.
  clerk: {
    defaultType: 'user.created',
    body: (type, now) => JSON.stringify(clerkEvent(type, now)),
    sign: (body, secret, now) => signClerk({ id: `msg_${randomBytes(12).toString('base64url')}`, timestampSec: Math.floor(now / 1000), body, secret })
  },
  // A Chaindoc SDK 2.x envelope (§3.2), current scheme.
  chaindoc: {
    defaultType: 'document.created',
    body: (type, now) => JSON.stringify(chaindocEnvelope(type, now)),
    sign: (body, secret, now) => signChaindoc({ timestampIso: new Date(now).toISOString(), body, secret })
  },
  // An APPLICATION_COMMAND interaction (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object).
  // Its source's secret is a public key, so send cannot sign it: it says so rather than post a request bound to fail.
  discord: {
    defaultType: 'application_command',
    body: (_type, now) => JSON.stringify(discordInteraction(now)),
    sign: (_body, _secret, _now) => { throw new Error("a Discord source's secret is the application's public key; only Discord holds the private key that signs, so send cannot sign a Discord request (test with Discord's own PING from the Developer Portal)") }
  },
  // A WhatsApp Cloud API notification (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples); --type object.field.
  meta: {
    defaultType: 'whatsapp_business_account.messages',
    body: (type, now) => JSON.stringify(metaNotification(type, now)),
    sign: (body, secret, _now) => signMeta({ body, secret })
  },
  // An Events API event_callback (https://api.slack.com/apis/events-api#callback-field), the event of the type asked for.
  slack: {
    defaultType: 'app_mention',
    body: (type, now) => JSON.stringify(slackEventCallback(type, now)),
    sign: (body, secret, now) => signSlack({ timestampSec: Math.floor(now / 1000), body, secret })
  }
} as const satisfies Record<ProviderName, ProviderSample>

/** A realistic body for `type` as `provider` sends it. */
export function sampleEvent (provider: ProviderName, type: string, now: number): string {
  return samples[provider].body(type, now)
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** Clerk-looking id: prefix and 27 base62 characters (a KSUID's length). */
function clerkId (prefix: string): string {
  return `${prefix}_${Array.from(randomBytes(27), (byte) => BASE62[byte % 62]).join('')}`
}

function clerkEvent (type: string, now: number): object {
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

function chaindocEnvelope (type: string, now: number): object {
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

function slackEventCallback (type: string, now: number): object {
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

function discordInteraction (now: number): object {
  // Discord ids are snowflakes: milliseconds since 2015 shifted left 22 bits.
  const snowflake = () => String((BigInt(now - 1_420_070_400_000) << 22n) | BigInt(randomBytes(2).readUInt16BE()))
  return {
    app_permissions: '442368', application_id: snowflake(), channel_id: snowflake(), guild_id: snowflake(), id: snowflake(),
    type: 2, version: 1, token: randomBytes(24).toString('base64url'), locale: 'en-US',
    data: { id: snowflake(), name: 'blep', type: 1, options: [{ name: 'animal', type: 3, value: 'animal_dog' }] },
    member: { user: { id: snowflake(), username: 'example', global_name: 'Example' }, roles: [], permissions: '2147483647' }
  }
}

function metaNotification (type: string, now: number): object {
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
