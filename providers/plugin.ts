/**
 * Provider plugins: a source may name a module instead of a built-in
 * (`provider: { module: ./providers-local/acme.js }`). The module is imported
 * once at start, checked against the contract in types.ts, and wrapped so the
 * rest of the gateway sees a provider exactly like a built-in one.
 */
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { isAbsolute, resolve } from 'node:path'
import {
  HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING,
  HG_ERR_TIMESTAMP_INVALID, HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE
} from '../src/errors.js'
import type { ProviderSample } from './samples.js'
import type { AnyProvider, ParsedOptions, RawRequest, VerifyOptions } from './types.js'

/** A plugin as loaded: its provider, and the sample `hookgate send` signs when it exports one. */
export interface LoadedPlugin {
  readonly provider: AnyProvider
  readonly sample: ProviderSample | null
}

/** A module's outcome: the plugin, or what is wrong with it (never thrown: config loading lists every problem). */
export type PluginLoad = LoadedPlugin | { readonly problems: readonly string[] }

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/
const METHODS = new Set(['POST', 'GET'])

/** Imports `specifier` (relative to `baseDir`) and checks it; never throws. */
export async function loadPlugin (specifier: string, baseDir: string): Promise<PluginLoad> {
  const file = isAbsolute(specifier) ? specifier : resolve(baseDir, specifier)
  if (!existsSync(file)) return { problems: [`no file at ${file}`] }
  let mod: Record<string, unknown>
  try {
    mod = await import(pathToFileURL(file).href) as Record<string, unknown>
  } catch (err) {
    return { problems: [`cannot import ${file}: ${err instanceof Error ? err.message : String(err)}`] }
  }
  return checkPlugin(mod.default ?? mod.provider, mod.sample)
}

/**
 * The contract, checked at boot rather than at the first webhook: a plugin
 * that does not fit refuses the start with every problem named.
 */
export function checkPlugin (candidate: unknown, sample: unknown): PluginLoad {
  if (typeof candidate !== 'object' || candidate === null) return { problems: ['the module exports no provider (export default { name, storedHeaders, verify })'] }
  const p = candidate as Record<string, unknown>
  const problems: string[] = []
  if (typeof p.name !== 'string' || !NAME.test(p.name)) problems.push("'name' must be a lower-case name of letters, digits, '_' and '-' (at most 64)")
  if (!Array.isArray(p.storedHeaders) || !p.storedHeaders.every((h) => typeof h === 'string' && h === h.toLowerCase() && h !== '')) {
    problems.push("'storedHeaders' must be a list of lower-case header names")
  }
  if (typeof p.verify !== 'function') problems.push("'verify' must be a function (req, secrets, now, options)")
  if (p.validateSecret !== undefined && typeof p.validateSecret !== 'function') problems.push("'validateSecret', when present, must be a function (secret) returning null or a problem")
  if (p.parseOptions !== undefined && typeof p.parseOptions !== 'function') problems.push("'parseOptions', when present, must be a function (options) returning { options } or { problems }")
  if (p.methods !== undefined && !(Array.isArray(p.methods) && p.methods.length > 0 && p.methods.every((m) => METHODS.has(m as string)))) {
    problems.push("'methods', when present, must be a non-empty list of 'POST' and 'GET'")
  }
  const s = sample as Record<string, unknown> | undefined
  if (s !== undefined && (typeof s !== 'object' || s === null || typeof s.defaultType !== 'string' || typeof s.body !== 'function' || typeof s.sign !== 'function')) {
    problems.push("'sample', when exported, must be { defaultType, body (type, now), sign (body, secret, now) }")
  } else if (s?.privateKey !== undefined && typeof (s.privateKey as { secretFor?: unknown } | null)?.secretFor !== 'function') {
    problems.push("'sample.privateKey', when present, must be { secretFor (privateKeyPem) }")
  }
  if (problems.length > 0) return { problems }
  const name = p.name as string
  const verify = (p.verify as AnyProvider['verify']).bind(p)
  const validateSecret = p.validateSecret === undefined ? undefined : (p.validateSecret as NonNullable<AnyProvider['validateSecret']>).bind(p)
  const parseOptions = p.parseOptions === undefined ? undefined : (p.parseOptions as NonNullable<AnyProvider['parseOptions']>).bind(p)
  const provider: AnyProvider = Object.freeze({
    name,
    storedHeaders: Object.freeze([...(p.storedHeaders as string[])]),
    ...(p.methods === undefined ? {} : { methods: Object.freeze([...(p.methods as Array<'POST' | 'GET'>)]) }),
    ...(validateSecret === undefined ? {} : { validateSecret: (secret: string) => { const r = validateSecret(secret); return typeof r === 'string' ? r : null } }),
    ...(parseOptions === undefined ? {} : { parseOptions: (options: Readonly<Record<string, unknown>>) => checkedOptions(name, parseOptions, options) }),
    verify: (req: RawRequest, secrets: readonly string[], now: number, options: VerifyOptions) => {
      try {
        return verify(req, secrets, now, options)
      } catch (err) {
        throw asGatewayError(name, err)
      }
    }
  })
  return { provider, sample: s === undefined ? null : Object.freeze(s as unknown as ProviderSample) }
}

/**
 * A plugin's parseOptions is its author's code, run once at config load: one
 * that throws or returns another shape is a problem listed with the rest, not
 * a crash; what it returns is frozen like the rest of the config.
 */
function checkedOptions (name: string, parse: NonNullable<AnyProvider['parseOptions']>, options: Readonly<Record<string, unknown>>): ParsedOptions {
  let result: unknown
  try { result = parse(options) } catch { return { problems: [`the ${name} provider's parseOptions threw`] } }
  const r = result as { options?: unknown, problems?: unknown } | null
  if (typeof r === 'object' && r !== null && Array.isArray(r.problems) && r.problems.length > 0 && r.problems.every((x) => typeof x === 'string')) return { problems: [...r.problems as string[]] }
  if (typeof r === 'object' && r !== null && 'options' in r && r.problems === undefined) return { options: r.options }
  return { problems: [`the ${name} provider's parseOptions returned neither { options } nor { problems: [text, …] }`] }
}

/**
 * A plugin cannot import the gateway's error classes, so it throws an Error
 * carrying one of the refusal codes; it becomes ours here, with our message
 * (a plugin's text could quote a secret or a computed signature). Anything
 * else is a bug in the plugin and stays an error: a 500 the sender retries.
 */
function asGatewayError (name: string, err: unknown): unknown {
  switch ((err as { code?: unknown } | null)?.code) {
    case 'HG_ERR_SIGNATURE_MISSING': return new HG_ERR_SIGNATURE_MISSING(`${name} signature`)
    case 'HG_ERR_SIGNATURE_INVALID': return new HG_ERR_SIGNATURE_INVALID()
    case 'HG_ERR_TIMESTAMP_INVALID': return new HG_ERR_TIMESTAMP_INVALID()
    case 'HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE': return new HG_ERR_TIMESTAMP_OUT_OF_TOLERANCE("far from the gateway's clock")
    case 'HG_ERR_PAYLOAD_INVALID': return new HG_ERR_PAYLOAD_INVALID(name, 'the provider refused the body')
    default: return err
  }
}
