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
