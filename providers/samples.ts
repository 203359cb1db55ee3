/**
 * A realistic, correctly signed sample for each provider: what `hookgate send`
 * posts, and what tests and the benchmark build on. One row per provider, and
 * the compiler refuses a provider without one, so none falls through to
 * another's sample.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import type { ProviderName } from './index.js'
import type { HmacScheme } from './hmac-options.js'
import type { PublicUrlOptions } from './public-url.js'
import { signChaindoc, signClerk, signGithub, signHmac, signMeta, signShopify, signSlack, signStripe } from './sign.js'
import { signStandardWebhook } from './standard-webhooks.js'

export interface ProviderSample {
  /** What `send` posts when no --type is given: the provider's most common event. */
  readonly defaultType: string
  /** A body the provider would send for `type`. */
  body (type: string, now: number): string
  /** The headers the provider would send with `body` (of `type`), signed with `secret` at `now`; `options` as parseOptions made them. */
  sign (body: string, secret: string, now: number, type: string, options?: unknown): Record<string, string>
}

export const samples: Readonly<Record<ProviderName, ProviderSample>> = {
  // Clerk's user.created sample (docs/provider-specs.md §2.4, ~1.5 KB), sent through Svix.
  clerk: {
    defaultType: 'user.created',
    body: (type, now) => JSON.stringify(clerkEvent(type, now)),
    sign: (body, secret, now) => signClerk({ id: `msg_${randomBytes(12).toString('base64url')}`, timestampSec: Math.floor(now / 1000), body, secret })
  },
  // A Chaindoc SDK 2.x envelope (docs/provider-specs.md §3.2), current scheme.
  chaindoc: {
    defaultType: 'document.created',
    body: (type, now) => JSON.stringify(chaindocEnvelope(type, now)),
    sign: (body, secret, now) => signChaindoc({ timestampIso: new Date(now).toISOString(), body, secret })
  },
  // A Standard Webhooks payload as the spec recommends it ({ type, timestamp, data }), OpenAI-style.
  'standard-webhooks': {
    defaultType: 'response.completed',
    body: (type, now) => JSON.stringify({ type, timestamp: new Date(now).toISOString(), data: { id: `resp_${randomBytes(12).toString('hex')}` } }),
    sign: (body, secret, now) => ({
      ...signStandardWebhook(secret, `msg_${randomBytes(12).toString('base64url')}`, Math.floor(now / 1000), body), 'content-type': 'application/json'
    })
  },
  // A GitHub delivery: the type is `event.action`, so the event is the part before the dot.
  github: {
    defaultType: 'push',
    body: (type, now) => JSON.stringify(githubEvent(type, now)),
    sign: (body, secret, _now, type) => signGithub({ body, secret, event: type.split('.')[0]!, delivery: randomUUID() })
  },
  // A Stripe event as the API renders it (api_version 2024-06-20 shape).
  stripe: {
    defaultType: 'payment_intent.succeeded',
    body: (type, now) => JSON.stringify(stripeEvent(type, now)),
    sign: (body, secret, now) => signStripe({ body, secret, timestampSec: Math.floor(now / 1000) })
  },
  // An orders/create delivery, trimmed to the fields a receiver reads first.
  shopify: {
    defaultType: 'orders/create',
    body: (_type, now) => JSON.stringify({
      id: 820982911946154500, admin_graphql_api_id: 'gid://shopify/Order/820982911946154508', email: 'jon@example.com', created_at: new Date(now).toISOString(),
      currency: 'USD', total_price: '403.00', financial_status: 'paid', line_items: [{ id: 866550311766439000, title: 'IPod Nano - 8GB', quantity: 1, price: '199.00' }]
    }),
    sign: (body, secret, now, type) => signShopify({ body, secret, topic: type, webhookId: randomUUID(), triggeredAt: new Date(now).toISOString() })
  },
  // A generic JSON event; the headers follow the source's scheme (a dedup id in the body at /id when the scheme points there).
  hmac: {
    defaultType: 'order.created',
    body: (type, now) => JSON.stringify({ id: randomUUID(), type, created_at: new Date(now).toISOString(), data: { object: 'order', id: randomUUID() } }),
    sign: (body, secret, now, type, options) => {
      if (options === undefined) throw new TypeError('an hmac sample is signed per the source\'s options')
      // The id a dedupHeader carries: the body's, so header and body agree (any body may be signed, JSON or not).
      let id: string = randomUUID()
      try { id = String((JSON.parse(body) as { id?: unknown }).id ?? id) } catch {}
      return signHmac({ body, secret, scheme: options as HmacScheme, timestampSec: Math.floor(now / 1000), id, type })
    }
  },
  // A GitLab push hook; the token is the secret itself (GitLab sends no MAC).
  gitlab: {
    defaultType: 'push',
    body: (type) => JSON.stringify({
      object_kind: type, event_name: type, before: randomBytes(20).toString('hex'), after: randomBytes(20).toString('hex'), ref: 'refs/heads/main',
      user_username: 'jsmith', project_id: 15, project: { id: 15, name: 'Diaspora', path_with_namespace: 'mike/diaspora', default_branch: 'main' }, total_commits_count: 1
    }),
    sign: (body, secret, _now, type) => ({
      'x-gitlab-token': secret, 'x-gitlab-event': `${type[0]!.toUpperCase()}${type.slice(1).replaceAll('_', ' ')} Hook`,
      'x-gitlab-event-uuid': randomUUID(), 'x-gitlab-webhook-uuid': randomUUID(), 'content-type': 'application/json'
    })
  },
  // A Linear data-change webhook: `Issue.create` is type Issue, action create; the timestamp is in the (signed) body.
  linear: {
    defaultType: 'Issue.create',
    body: (type, now) => {
      const [entity, action = 'create'] = type.split('.')
      return JSON.stringify({
        action, type: entity, createdAt: new Date(now).toISOString(), organizationId: randomUUID(), url: 'https://linear.app/acme/issue/ENG-123',
        data: { id: randomUUID(), identifier: 'ENG-123', title: 'Fix the login redirect', priority: 2 }, webhookTimestamp: now, webhookId: randomUUID()
      })
    },
    sign: (body, secret, _now, type) => ({
      'linear-signature': createHmac('sha256', secret).update(body).digest('hex'), 'linear-delivery': randomUUID(),
      'linear-event': type.split('.')[0]!, 'content-type': 'application/json; charset=utf-8'
    })
  },
  // A Paddle Billing notification (API v1 shape).
  paddle: {
    defaultType: 'transaction.completed',
    body: (type, now) => JSON.stringify({
      event_id: `evt_${randomBytes(13).toString('hex')}`, event_type: type, occurred_at: new Date(now).toISOString(), notification_id: `ntf_${randomBytes(13).toString('hex')}`,
      data: { id: `txn_${randomBytes(13).toString('hex')}`, status: 'completed', currency_code: 'USD', customer_id: `ctm_${randomBytes(13).toString('hex')}` }
    }),
    sign: (body, secret, now) => {
      const ts = Math.floor(now / 1000)
      return { 'paddle-signature': `ts=${ts};h1=${createHmac('sha256', secret).update(`${ts}:`).update(body).digest('hex')}`, 'content-type': 'application/json' }
    }
  },
  // A Square payment.updated notification, signed over the source's publicUrl and the body.
  square: {
    defaultType: 'payment.updated',
    body: (type, now) => JSON.stringify({
      merchant_id: '6SSW7HV8K2ST5', type, event_id: randomUUID(), created_at: new Date(now).toISOString(),
      data: { type: type.split('.')[0], id: randomBytes(12).toString('base64url'), object: { payment: { amount_money: { amount: 100, currency: 'USD' }, status: 'COMPLETED' } } }
    }),
    sign: (body, secret, _now, _type, options) => {
      if (options === undefined) throw new TypeError('a Square sample is signed over the source\'s publicUrl')
      const signature = createHmac('sha256', secret).update((options as PublicUrlOptions).publicUrl).update(body).digest('base64')
      return { 'x-square-hmacsha256-signature': signature, 'square-version': '2025-01-23', 'content-type': 'application/json' }
    }
  },
  // A Twilio SMS status callback (form-encoded), signed over the source's publicUrl and the sorted parameters.
  twilio: {
    defaultType: 'delivered',
    body: (type) => new URLSearchParams({
      AccountSid: `AC${randomBytes(16).toString('hex')}`, ApiVersion: '2010-04-01', From: '+14155550100', To: '+14155550199',
      MessageSid: `SM${randomBytes(16).toString('hex')}`, MessageStatus: type, SmsSid: `SM${randomBytes(16).toString('hex')}`, SmsStatus: type
    }).toString(),
    sign: (body, secret, _now, _type, options) => {
      if (options === undefined) throw new TypeError('a Twilio sample is signed over the source\'s publicUrl')
      const params = [...new URLSearchParams(body)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => name + value).join('')
      const signature = createHmac('sha1', secret).update((options as PublicUrlOptions).publicUrl + params).digest('base64')
      return { 'x-twilio-signature': signature, 'i-twilio-idempotency-token': randomUUID(), 'content-type': 'application/x-www-form-urlencoded' }
    }
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
}

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

function githubEvent (type: string, now: number): object {
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

function stripeEvent (type: string, now: number): object {
  const created = Math.floor(now / 1000)
  const object = type.startsWith('customer.')
    ? { id: `cus_${randomBytes(7).toString('hex')}`, object: 'customer', email: 'jenny.rosen@example.com', created, livemode: false }
    : { id: `pi_${randomBytes(12).toString('hex')}`, object: 'payment_intent', amount: 2000, currency: 'usd', status: 'succeeded', created, livemode: false }
  return { id: `evt_${randomBytes(12).toString('hex')}`, object: 'event', api_version: '2024-06-20', created, data: { object },
    livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type }
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
