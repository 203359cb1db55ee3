import { readFile } from 'node:fs/promises'
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
 * `hookgate send <source> [--type user.created] [--url URL] [--signing-key FILE]`:
 * posts a correctly signed sample event, so the gateway can be tried without
 * the provider. The secret comes from the config, as the gateway's does; a
 * source that holds a public key (Discord) signs with the private key given.
 */
export async function sendCommand (argv: string[], io: Io = processIo): Promise<number> {
  const json = argv.includes('--json')
  return runCommand('send', io, json, async () => {
    const { values, positionals } = parse(argv, {
      ...clientOptions,
      type: { type: 'string' },
      'signing-key': { type: 'string' }
    })
    const config = await loadConfig(configPath({ config: values.config ?? io.env.HOOKGATE_CONFIG }), io.env)
    const [name, ...extra] = positionals
    const sources = Object.keys(config.sources)
    if (name === undefined || extra.length > 0) throw new UsageError(`usage: hookgate send <source> [--type T] [--url URL] [--signing-key FILE]; sources: ${sources.join(', ') || 'none'}`)
    const source = Object.hasOwn(config.sources, name) ? config.sources[name]! : undefined
    if (source === undefined) throw new UsageError(`no source '${name}' in the configuration; sources: ${sources.join(', ') || 'none'}`)
    // A plugin's sample is optional (samples.ts forces one for every built-in).
    const sample = config.samples[source.provider] ?? null
    if (sample === null) throw new UsageError(`the ${source.provider} provider of source '${name}' is a plugin that exports no sample, so send cannot sign one; export \`sample = { defaultType, body, sign }\` from its module (README: Write a provider plugin)`)
    const type = values.type ?? sample.defaultType
    const secret = sample.privateKey === undefined ? source.secrets[0]! : await signingKey(sample.privateKey, values['signing-key'], io.env, name, source.secrets)
    const { headers, body } = signedSample(sample, type, secret, io.clock.now(), source.options)
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

/**
 * The private key that signs for a source whose secrets are public keys
 * (Discord): from --signing-key FILE, else HOOKGATE_SIGNING_KEY (the PEM
 * itself), and only when its public key is one the source lists, so a wrong
 * key is named here rather than answered 401 by the gateway.
 */
async function signingKey (privateKey: NonNullable<ProviderSample['privateKey']>, file: string | undefined, env: NodeJS.ProcessEnv, source: string, secrets: readonly string[]): Promise<string> {
  let pem = env.HOOKGATE_SIGNING_KEY
  if (file !== undefined) {
    try { pem = await readFile(file, 'utf8') } catch (err) { throw new UsageError(`cannot read --signing-key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`) }
  }
  if (pem === undefined || pem === '') {
    throw new UsageError(`source '${source}' holds a public key, which only verifies: give send the matching private key, --signing-key FILE (a PEM ed25519 private key) or HOOKGATE_SIGNING_KEY (README: Connect Discord)`)
  }
  let secret: string
  try { secret = privateKey.secretFor(pem) } catch { throw new UsageError('the signing key is not a PEM ed25519 private key') }
  if (!secrets.some((s) => s.toLowerCase() === secret.toLowerCase())) throw new UsageError(`the signing key's public key (${secret}) is not among source '${source}''s keys`)
  return pem
}
