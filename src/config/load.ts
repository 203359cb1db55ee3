import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { Settings } from 'typebox/system'
import { Value } from 'typebox/value'
import { parse as parseYaml } from 'yaml'
import { loadPlugin, type PluginLoad } from '../../providers/plugin.js'
import type { ProviderSample } from '../../providers/samples.js'
import type { AnyProvider } from '../../providers/types.js'
import { validateStandardWebhooksSecret } from '../../providers/standard-webhooks.js'
import { HG_ERR_CONFIG_INVALID } from '../errors.js'
import { durationMs } from './duration.js'
import { resolveEnv } from './env.js'
import { describeSchemaErrors } from './problems.js'
import { describeStorage, storageProblems } from './storage.js'
import { isLoopbackHost, publishedAs, publishedSecretProblem } from './public-secrets.js'
import { ConfigSchema, type ConfigInput } from './schema.js'
import { normalizeSources, type SourceConfig } from './sources.js'

export type { SourceConfig }

export interface RetryPolicy {
  /** Delay before each attempt, the first included: its length is the number of attempts. */
  readonly scheduleMs: readonly number[]
}

export interface DestinationConfig {
  readonly name: string
  readonly url: string
  readonly sources: readonly string[] | null
  readonly events: readonly string[] | null
  readonly format: 'cloudevents' | 'raw'
  readonly signingSecret: string | null
  readonly headers: Readonly<Record<string, string>>
  readonly timeoutMs: number
  readonly concurrency: number
  readonly retry: RetryPolicy
  /** Deliveries of one subject go one at a time, oldest first; null: no ordering. */
  readonly ordering: SubjectOrdering | null
}

/** How a destination orders deliveries per event subject. */
export interface SubjectOrdering {
  /** skip: a dead head lets the next of its subject go; block: the subject waits for an operator. */
  readonly onDead: 'skip' | 'block'
}

export interface Config {
  /**
   * The one registry every part of the gateway looks providers up in: the
   * built-ins and the plugins this config loads, by name. A plugin is thus
   * first-class: ingest, the rejections log, metrics and CloudEvents see no difference.
   */
  readonly providers: Readonly<Record<string, AnyProvider>>
  /** What `hookgate send` signs for each provider; null for a plugin that exports no sample. */
  readonly samples: Readonly<Record<string, ProviderSample | null>>
  readonly server: ConfigInput['server']
  readonly storage: ConfigInput['storage']
  readonly sources: Readonly<Record<string, SourceConfig>>
  readonly destinations: Readonly<Record<string, DestinationConfig>>
  readonly delivery: ConfigInput['delivery']
  readonly admin: { readonly token?: string }
  readonly metrics: ConfigInput['metrics']
  readonly logging: ConfigInput['logging']
}

/** Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE = ['0s', '5s', '5m', '30m', '2h', '5h', '10h', '10h'] as const

export interface ParseOptions {
  /** AnyProvider plugins by the module path the config gives, already imported (loadConfig does it). */
  readonly plugins?: ReadonlyMap<string, PluginLoad>
}

/**
 * Reads a YAML file (env references resolved) into a frozen, validated
 * Config. Async because provider plugins are imported (relative to the file).
 */
export async function loadConfig (file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new HG_ERR_CONFIG_INVALID(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (err) {
    throw new HG_ERR_CONFIG_INVALID(`${file} is not valid YAML: ${(err as Error).message}`)
  }
  const plugins = new Map<string, PluginLoad>()
  for (const specifier of pluginModules(raw, env)) plugins.set(specifier, await loadPlugin(specifier, dirname(resolve(file))))
  return parseConfig(raw ?? {}, env, { plugins })
}

/** The module paths sources give as providers (env references resolved; parseConfig reports any problem there). */
function pluginModules (raw: unknown, env: NodeJS.ProcessEnv): Set<string> {
  const found = new Set<string>()
  const resolved = resolveEnv(raw, env, '', []) as { sources?: unknown } | null
  const sources = resolved?.sources
  if (typeof sources !== 'object' || sources === null) return found
  for (const source of Object.values(sources)) {
    const module = (source as { provider?: { module?: unknown } } | null)?.provider?.module
    if (typeof module === 'string' && module !== '') found.add(module)
  }
  return found
}

/** Validates an already parsed document; every problem is listed, each with its key path. */
export function parseConfig (raw: unknown, env: NodeJS.ProcessEnv = process.env, options: ParseOptions = {}): Config {
  const problems: string[] = []
  const unset = new Set<string>()
  const resolved = resolveEnv(raw, env, '', problems, unset)
  const input = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, structuredClone(resolved)))
  problems.push(...describeSchemaErrors(Value.Errors(ConfigSchema, input), unset))
  if (problems.length > 0) throw configInvalid(problems)
  const config = normalize(input as ConfigInput, options.plugins ?? new Map(), problems)
  if (problems.length > 0) throw configInvalid(problems)
  return deepFreeze(config)
}

// TypeBox stops collecting at 8 errors by default (a guard for untrusted
// input); a config file is the operator's own, and every problem at once saves
// a round of edit-and-retry.
Settings.Set({ maxErrors: 1000 })

function configInvalid (problems: readonly string[]): Error {
  return new HG_ERR_CONFIG_INVALID(problems.map((p) => `  - ${p}`).join('\n'))
}

function normalize (input: ConfigInput, plugins: ReadonlyMap<string, PluginLoad>, problems: string[]): Config {
  // Published example secrets are for trying the gateway on this machine, never for one others can reach.
  const loopback = isLoopbackHost(input.server.host)
  const { providers, samples, sources } = normalizeSources(input, plugins, problems)
  const destinations: Record<string, DestinationConfig> = {}
  for (const [name, d] of Object.entries(input.destinations)) {
    const at = `destinations.${name}`
    try { new URL(d.url) } catch { problems.push(`${at}.url: not a valid URL`) }
    for (const source of d.sources ?? []) {
      if (!(source in input.sources)) problems.push(`${at}.sources: no source named '${source}'`)
    }
    if (d.signingSecret !== undefined) {
      const problem = validateStandardWebhooksSecret(d.signingSecret)
      if (problem !== null) problems.push(`${at}.signingSecret: ${problem}`)
    }
    destinations[name] = {
      name,
      url: d.url,
      sources: d.sources ?? null,
      events: d.events ?? null,
      format: d.format,
      signingSecret: d.signingSecret ?? null,
      headers: d.headers,
      timeoutMs: d.timeoutMs,
      concurrency: d.concurrency,
      retry: retryPolicy(d.retry, `${at}.retry`, problems),
      ordering: d.ordering === 'subject' ? { onDead: d.onDead ?? 'skip' } : null
    }
    if (d.ordering !== 'subject' && d.onDead !== undefined) problems.push(`${at}.onDead: applies only with ordering: subject`)
  }
  const publishedToken = input.admin.token === undefined ? null : publishedAs(input.admin.token)
  if (publishedToken !== null && !loopback) problems.push(publishedSecretProblem('admin.token', publishedToken, input.server.host, 'use the admin API'))
  storageProblems(input.storage, problems)
  if (input.metrics.requireToken && (input.admin.token === undefined || input.admin.token === '')) {
    problems.push('metrics.requireToken: set admin.token too (it is the token /metrics asks for)')
  }
  return {
    ...input,
    providers,
    samples,
    storage: { ...input.storage, path: input.storage.path === ':memory:' ? ':memory:' : resolve(input.storage.path) },
    sources,
    destinations,
    admin: input.admin.token === undefined || input.admin.token === '' ? {} : { token: input.admin.token }
  }
}

/** Both retry forms become one schedule of delays, so the outbox knows a single shape. */
function retryPolicy (retry: ConfigInput['destinations'][string]['retry'], at: string, problems: string[]): RetryPolicy {
  if (retry === undefined) return { scheduleMs: DEFAULT_RETRY_SCHEDULE.map(durationMs) }
  const { schedule, maxAttempts, initialDelay, maxDelay } = retry
  if (schedule !== undefined && [maxAttempts, initialDelay, maxDelay].every((v) => v === undefined)) return { scheduleMs: schedule.map(durationMs) }
  if (schedule === undefined && maxAttempts !== undefined && initialDelay !== undefined && maxDelay !== undefined) {
    const initial = durationMs(initialDelay)
    const max = durationMs(maxDelay)
    return { scheduleMs: Array.from({ length: maxAttempts }, (_, i) => i === 0 ? 0 : Math.min(max, initial * 2 ** (i - 1))) }
  }
  problems.push(`${at}: expected either 'schedule' (a list of delays) or all three of 'maxAttempts', 'initialDelay' and 'maxDelay'`)
  return { scheduleMs: [0] }
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** A one-line summary for `hookgate check-config`; names, never secrets. */
export function summarize (config: Config): string {
  const sources = Object.values(config.sources).map((s) => `${s.name} (${s.provider})`).join(', ') || 'none'
  const destinations = Object.keys(config.destinations).join(', ') || 'none'
  return `ok: ${Object.keys(config.sources).length} source(s): ${sources}; ${Object.keys(config.destinations).length} destination(s): ${destinations}; storage ${describeStorage(config.storage)}; listening on ${config.server.host}:${config.server.port}`
}
