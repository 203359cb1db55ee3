/**
 * A realistic, correctly signed sample for each provider: what `hookgate send`
 * posts, and what tests and the benchmark build on. One row per provider, and
 * the compiler refuses a provider without one, so none falls through to
 * another's sample.
 */
import { createHmac, createPrivateKey, createPublicKey, randomBytes, randomUUID } from 'node:crypto'
import type { ProviderName } from './index.js'
import type { HmacScheme } from './hmac-options.js'
import type { PublicUrlOptions } from './public-url.js'
import { discordPublicKeyHex, signChaindoc, signClerk, signDiscord, signGithub, signHmac, signMeta, signShopify, signSlack, signStripe, signZoom } from './sign.js'
import { signStandardWebhook } from './standard-webhooks.js'
import { chaindocEnvelope, clerkEvent, discordInteraction, githubEvent, metaNotification, slackEventCallback, stripeEvent, zoomEvent } from './sample-bodies.js'

export interface ProviderSample {
  /** What `send` posts when no --type is given: the provider's most common event. */
  readonly defaultType: string
  /** A body the provider would send for `type`. */
  body (type: string, now: number): string
  /** The headers the provider would send with `body` (of `type`), signed with `secret` at `now`; `options` as parseOptions made them. */
  sign (body: string, secret: string, now: number, type: string, options?: unknown): Record<string, string>
  /**
   * Present when a source's secrets only verify (public keys): `sign` then
   * takes the matching private key (PEM) in place of `secret`, and this gives
   * the secret a source would list for that key, so `send` can say at once
   * that a key does not belong to the source. Throws on a key it cannot read.
   */
  readonly privateKey?: { secretFor (privateKeyPem: string): string }
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
  // Its source holds the application's public key, so send signs with the private key the user gives it (--signing-key).
  discord: {
    defaultType: 'application_command',
    body: (_type, now) => JSON.stringify(discordInteraction(now)),
    sign: (body, privateKeyPem, now) => signDiscord({ timestampSec: Math.floor(now / 1000), body, privateKey: createPrivateKey(privateKeyPem) }),
    privateKey: { secretFor: (privateKeyPem) => discordPublicKeyHex(createPublicKey(createPrivateKey(privateKeyPem))) }
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
  },
  // A meeting.started notification (https://developers.zoom.us/docs/api/meetings/events/#tag/meeting/POSTmeeting.started).
  zoom: {
    defaultType: 'meeting.started',
    body: (type, now) => JSON.stringify(zoomEvent(type, now)),
    sign: (body, secret, now) => signZoom({ timestampSec: Math.floor(now / 1000), body, secret })
  }
}

/** A realistic body for `type` as `provider` sends it. */
export function sampleEvent (provider: ProviderName, type: string, now: number): string {
  return samples[provider].body(type, now)
}
