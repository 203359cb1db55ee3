/** Every provider by the name a source's config gives it. Adding one is one line here. */
import { chaindoc } from './chaindoc.js'
import { clerk } from './clerk.js'
import { discord } from './discord.js'
import { meta } from './meta.js'
import { slack } from './slack.js'
import type { AnyProvider } from './types.js'

export const providers = Object.freeze({ clerk, chaindoc, slack, discord, meta } as const satisfies Record<string, AnyProvider>)

export type ProviderName = keyof typeof providers

export const providerNames: readonly ProviderName[] = Object.freeze(Object.keys(providers) as ProviderName[])

export function isProviderName (name: string): name is ProviderName {
  return Object.hasOwn(providers, name)
}
