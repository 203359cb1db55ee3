/** Every provider by the name a source's config gives it. Adding one is one line here. */
import { chaindoc } from './chaindoc.js'
import { clerk } from './clerk.js'
import { discord } from './discord.js'
import { github } from './github.js'
import { gitlab } from './gitlab.js'
import { hmac } from './hmac.js'
import { linear } from './linear.js'
import { meta } from './meta.js'
import { paddle } from './paddle.js'
import { shopify } from './shopify.js'
import { slack } from './slack.js'
import { square } from './square.js'
import { standardWebhooks } from './standard-webhooks-provider.js'
import { stripe } from './stripe.js'
import { twilio } from './twilio.js'
import type { AnyProvider } from './types.js'
import { zoom } from './zoom.js'

export const providers = Object.freeze({ clerk, chaindoc, 'standard-webhooks': standardWebhooks, github, stripe, shopify, hmac, gitlab, linear, paddle, square, twilio, slack, discord, meta, zoom } as const satisfies Record<string, AnyProvider>)

export type ProviderName = keyof typeof providers

export const providerNames: readonly ProviderName[] = Object.freeze(Object.keys(providers) as ProviderName[])

export function isProviderName (name: string): name is ProviderName {
  return Object.hasOwn(providers, name)
}
