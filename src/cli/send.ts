import { request } from 'undici'
import { samples, type ProviderSample } from '../../providers/samples.js'
import type { ProviderName } from '../../providers/index.js'
import { ApiError, gatewayUrl, processIo, runCommand, UsageError, type Io } from './admin-client.js'
import { clientOptions, configPath, parse } from './args.js'
import { loadConfig } from '../config/load.js'

/** A sample body for `type`, signed the way `provider` signs, with the source's first secret. */
export function signedSample (provider: ProviderName | ProviderSample, type: string, secret: string, now: number, options?: unknown): { headers: Record<string, string>, body: string } {
  const sample = typeof provider === 'string' ? samples[provider] : provider
  const body = sample.body(type, now)
  return { body, headers: sample.sign(body, secret, now, type, options) }
}

/**
 * `hookgate send <source> [--type user.created] [--url URL]`: posts a
 * correctly signed sample event, so the gateway can be tried without Clerk
 * or Chaindoc. The secret comes from the config, as the gateway's does.
 */
export async function sendCommand (argv: string[], io: Io = processIo): Promise<number> {
  const json = argv.includes('--json')
  return runCommand('send', io, json, async () => {
    const { values, positionals } = parse(argv, {
      ...clientOptions,
      type: { type: 'string' }
    })
    const config = await loadConfig(configPath({ config: values.config ?? io.env.HOOKGATE_CONFIG }), io.env)
    const [name, ...extra] = positionals
    const sources = Object.keys(config.sources)
    if (name === undefined || extra.length > 0) throw new UsageError(`usage: hookgate send <source> [--type T] [--url URL]; sources: ${sources.join(', ') || 'none'}`)
    const source = Object.hasOwn(config.sources, name) ? config.sources[name]! : undefined
    if (source === undefined) throw new UsageError(`no source '${name}' in the configuration; sources: ${sources.join(', ') || 'none'}`)
    // A plugin's sample is optional (samples.ts forces one for every built-in).
    const sample = config.samples[source.provider] ?? null
    if (sample === null) throw new UsageError(`the ${source.provider} provider of source '${name}' is a plugin that exports no sample, so send cannot sign one; export \`sample = { defaultType, body, sign }\` from its module (README: Write a provider plugin)`)
    const type = values.type ?? sample.defaultType
    // A client's wall clock, as a real sender's: the gateway checks it against its own.
    const { headers, body } = signedSample(sample, type, source.secrets[0]!, Date.now(), source.options)
    const url = `${gatewayUrl(values.url, io.env, config)}/webhooks/${encodeURIComponent(name)}`
    let res
    try {
      res = await request(url, { method: 'POST', headers, body, headersTimeout: 30_000, bodyTimeout: 30_000 })
    } catch (err) {
      throw new ApiError(`cannot reach ${url}: ${(err as Error).message}`)
    }
    const answer = await res.body.json().catch(() => undefined) as { id?: string, duplicate?: boolean, code?: string, message?: string } | undefined
    if (res.statusCode !== 200) throw new ApiError(`${url} answered ${res.statusCode} ${answer?.code ?? ''} ${answer?.message ?? ''}`.trim(), answer)
    io.out(json ? JSON.stringify(answer) + '\n' : `sent ${type} to ${url}: ${res.statusCode}, event ${answer?.id}${answer?.duplicate === true ? ' (duplicate)' : ''}\n`)
  })
}
