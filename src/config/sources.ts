/**
 * The sources of a config: each one's provider (a built-in, or a plugin
 * module registered here under its own name), its secrets checked by the
 * provider, and its `options` as the provider's parseOptions reads them.
 */
import { isProviderName, providers as builtIns } from '../../providers/index.js'
import type { PluginLoad } from '../../providers/plugin.js'
import { samples as builtInSamples, type ProviderSample } from '../../providers/samples.js'
import type { AnyProvider } from '../../providers/types.js'
import { isLoopbackHost, publishedAs, publishedSecretProblem } from './public-secrets.js'
import type { ConfigInput } from './schema.js'

export interface SourceConfig {
  readonly name: string
  /** The provider's name: a key of Config.providers (a built-in's, or a plugin's own). */
  readonly provider: string
  readonly secrets: readonly string[]
  readonly toleranceMs: number
  /** What the provider's parseOptions made of the source's `options`; undefined when it takes none. */
  readonly options?: unknown
}

/** The provider registry (built-ins and this config's plugins), what send signs for each, and the sources. */
export interface NormalizedSources {
  readonly providers: Record<string, AnyProvider>
  readonly samples: Record<string, ProviderSample | null>
  readonly sources: Record<string, SourceConfig>
}

/** Source keys that were top-level before the providers read them from `options`: named, so an old config says where they went. */
const MOVED_TO_OPTIONS = ['legacyScheme', 'legacyReserialized', 'verifyToken'] as const

/** The provider's reading of a source's `options`; a provider without parseOptions takes none. */
function sourceOptions (name: string, provider: AnyProvider, options: Readonly<Record<string, unknown>> | undefined, problems: string[]): unknown {
  const parse = provider.parseOptions
  if (parse === undefined) {
    if (options !== undefined) problems.push(`sources.${name}.options: provider '${provider.name}' takes no options`)
    return undefined
  }
  const parsed = parse(options ?? {})
  if ('problems' in parsed) {
    for (const problem of parsed.problems) problems.push(`sources.${name}.options: ${problem}`)
    return undefined
  }
  return parsed.options
}

export function normalizeSources (input: ConfigInput, plugins: ReadonlyMap<string, PluginLoad>, problems: string[]): NormalizedSources {
  // Published example secrets are for trying the gateway on this machine, never for one others can reach.
  const loopback = isLoopbackHost(input.server.host)
  const providers: Record<string, AnyProvider> = { ...builtIns }
  const samples: Record<string, ProviderSample | null> = { ...builtInSamples }
  const modules = new Map<string, string>()
  const sources: Record<string, SourceConfig> = {}
  for (const [name, source] of Object.entries(input.sources)) {
    const provider = typeof source.provider === 'string'
      ? builtIns[source.provider]
      : registerPlugin(`sources.${name}.provider.module`, source.provider.module)
    if (provider === null) continue
    const secrets = source.secrets ?? (source.secret === undefined ? [] : [source.secret])
    if ((source.secret === undefined) === (source.secrets === undefined)) {
      problems.push(`sources.${name}: give exactly one of 'secret' or 'secrets'`)
    }
    secrets.forEach((secret, i) => {
      const at = `sources.${name}.${source.secrets === undefined ? 'secret' : `secrets[${i}]`}`
      const problem = secretProblem(provider, secret)
      if (problem != null) problems.push(`${at}: ${problem}`)
      const published = publishedAs(secret)
      if (published !== null && !loopback) problems.push(publishedSecretProblem(at, published, input.server.host, `sign webhooks for this source`))
    })
    for (const key of MOVED_TO_OPTIONS) {
      if (Object.hasOwn(source, key)) problems.push(`sources.${name}.${key}: now under the source's options (sources.${name}.options.${key}), which the ${provider.name} provider checks`)
    }
    sources[name] = { name, provider: provider.name, secrets, toleranceMs: source.toleranceSeconds * 1000, options: sourceOptions(name, provider, source.options, problems) }
  }

  /** Adds a loaded plugin to the registry, or says why it cannot be (the problem names the key path). */
  function registerPlugin (at: string, module: string): AnyProvider | null {
    const load = plugins.get(module)
    if (load === undefined) {
      problems.push(`${at}: provider plugins are loaded with the config file (loadConfig), not from a parsed document`)
      return null
    }
    if ('problems' in load) {
      for (const problem of load.problems) problems.push(`${at}: ${module}: ${problem}`)
      return null
    }
    const { name } = load.provider
    if (isProviderName(name)) {
      problems.push(`${at}: ${module}: the plugin's name '${name}' is a built-in provider's; give it its own`)
      return null
    }
    const other = modules.get(name)
    if (other !== undefined && other !== module) {
      problems.push(`${at}: ${module}: the plugin's name '${name}' is also the name of ${other}`)
      return null
    }
    modules.set(name, module)
    providers[name] = load.provider
    samples[name] = load.sample
    return load.provider
  }
  return { providers, samples, sources }
}

/** A plugin's validateSecret is the plugin author's code: one that throws is a problem, not a crash. */
function secretProblem (provider: AnyProvider, secret: string): string | null {
  try {
    return provider.validateSecret?.(secret) ?? null
  } catch {
    return `the ${provider.name} provider's validateSecret threw`
  }
}
