#!/usr/bin/env node
/**
 * The hookgate command. Each subcommand lives in src/cli/; this file only
 * picks one, so `hookgate --help` reads as the list of what it can do.
 */
import { checkConfigCommand } from './cli/check-config.js'
import { startCommand } from './cli/start.js'

const commands: Record<string, { summary: string, run: (argv: string[]) => Promise<number> }> = {
  start: { summary: 'start --config FILE          run the gateway (or set HOOKGATE_CONFIG)', run: startCommand },
  'check-config': { summary: 'check-config --config FILE   validate a configuration and print a summary', run: checkConfigCommand }
}

function usage (): string {
  return 'usage: hookgate <command> [options]\n\n' + Object.values(commands).map((c) => '  hookgate ' + c.summary).join('\n') + '\n'
}

const [name, ...rest] = process.argv.slice(2)
const command = name === undefined ? undefined : commands[name]
if (command === undefined) {
  process.stderr.write(usage())
  process.exitCode = name === undefined || name === '--help' || name === '-h' ? 0 : 2
} else {
  command.run(rest).then((code) => { process.exitCode = code }, (err: unknown) => {
    process.stderr.write(`hookgate ${name}: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
