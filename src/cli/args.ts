import { parseArgs, type ParseArgsConfig } from 'node:util'

/** `--config FILE`, falling back to HOOKGATE_CONFIG: the two ways the docs give. */
export function configPath (values: { config?: string | boolean | undefined }): string {
  const file = typeof values.config === 'string' ? values.config : process.env.HOOKGATE_CONFIG
  if (file === undefined || file === '') throw new Error('no configuration: pass --config FILE or set HOOKGATE_CONFIG')
  return file
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>> (argv: string[], options: T) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
}

/** `--config FILE` (-c): every command that reads the configuration takes it. */
export const configOption = { config: { type: 'string', short: 'c' } } as const

/** What every command that calls a gateway takes: the config, where the gateway is, and --json for scripts. */
export const clientOptions = { ...configOption, url: { type: 'string' }, json: { type: 'boolean' } } as const
