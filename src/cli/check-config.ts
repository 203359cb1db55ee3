import { loadConfig, summarize } from '../config/load.js'
import { checkStorage } from '../db/open-store.js'
import { configOption, configPath, parse } from './args.js'

/** Exit 0 with a one-line summary, or 1 with every problem and its key path. */
export async function checkConfigCommand (argv: string[]): Promise<number> {
  const { values } = parse(argv, configOption)
  try {
    const config = await loadConfig(configPath(values))
    await checkStorage(config.storage)
    process.stdout.write(summarize(config) + '\n')
    return 0
  } catch (err) {
    // The code first, as every other failing command prints it: the README's error table finds it.
    const code = (err as { code?: unknown }).code
    process.stderr.write(`hookgate check-config: ${typeof code === 'string' && code.startsWith('HG_ERR_') ? `${code}: ` : ''}${(err as Error).message}\n`)
    return 1
  }
}
