/** The `publicUrl` option of providers that sign the URL they posted to (Square, Twilio): it must be that URL exactly. */
import type { ParsedOptions } from './types.js'

export interface PublicUrlOptions {
  /** The URL as configured at the provider, byte for byte (scheme, host, path, query). */
  readonly publicUrl: string
}

export function parsePublicUrlOptions (options: Readonly<Record<string, unknown>>): ParsedOptions {
  const problems = Object.keys(options).filter((key) => key !== 'publicUrl').map((key) => `unknown key '${key}' (known: publicUrl)`)
  const url = options.publicUrl
  if (typeof url !== 'string') problems.push('publicUrl: required, the URL configured at the provider (it is signed)')
  else if (!/^https?:\/\/[^\s]+$/.test(url) || !URL.canParse(url)) problems.push('publicUrl: not an http(s) URL')
  return problems.length > 0 ? { problems } : { options: Object.freeze<PublicUrlOptions>({ publicUrl: url as string }) }
}
