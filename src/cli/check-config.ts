import { loadConfig, summarize } from '../config/load.js'
import { configOption, configPath, parse } from './args.js'

/** Exit 0 with a one-line summary, or 1 with every problem and its key path. */
export async function checkConfigCommand (argv: string[]): Promise<number> {
  const { values } = parse(argv, configOption)
  try {
    process.stdout.write(summarize(loadConfig(configPath(values))) + '\n')
    return 0
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    return 1
  }
}
