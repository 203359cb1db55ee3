#!/usr/bin/env node
/**
 * The hookgate command. Each subcommand lives in src/cli/; this file only
 * picks one, so `hookgate --help` reads as the list of what it can do.
 */
import { UsageError } from './cli/admin-client.js'
import { checkConfigCommand } from './cli/check-config.js'
import { eventsCommand } from './cli/events.js'
import { heldCommand } from './cli/held.js'
import { commandUsage, overview } from './cli/help.js'
import { replayCommand } from './cli/replay.js'
import { retryCommand } from './cli/retry.js'
import { sendCommand } from './cli/send.js'
import { skipCommand } from './cli/skip.js'
import { startCommand } from './cli/start.js'

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  start: startCommand,
  'check-config': checkConfigCommand,
  send: (argv) => sendCommand(argv),
  events: (argv) => eventsCommand(argv),
  replay: (argv) => replayCommand(argv),
  retry: (argv) => retryCommand(argv),
  held: (argv) => heldCommand(argv),
  skip: (argv) => skipCommand(argv)
}

/** Exit codes: 0 done (and help), 1 the command failed, 2 a usage mistake (the usage goes to stderr). */
async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h') return help(overview())
  if (name === 'help') {
    const [topic, ...extra] = rest
    if (topic === undefined) return help(overview())
    if (Object.hasOwn(commands, topic) && extra.length === 0) return help(commandUsage(topic))
    return mistake(`hookgate help: no command '${topic}'`, overview())
  }
  if (!Object.hasOwn(commands, name)) return mistake(`hookgate: unknown command '${name}'`, overview())
  // Options after a lone '--' are the command's positionals, not a request for help.
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest
  if (options.includes('--help') || options.includes('-h')) return help(commandUsage(name))
  try {
    const code = await commands[name]!(rest)
    // The command said what was wrong; the usage says what is right.
    if (code === 2) process.stderr.write('\n' + commandUsage(name))
    return code
  } catch (err) {
    if (isUsageMistake(err)) return mistake(`hookgate ${name}: ${(err as Error).message}`, commandUsage(name))
    // Every error hookgate raises carries an HG_ERR_* code: print it, so the README's error table finds it.
    const code = (err as { code?: unknown }).code
    const prefix = typeof code === 'string' && code.startsWith('HG_ERR_') ? `${code}: ` : ''
    process.stderr.write(`hookgate ${name}: ${prefix}${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

function help (text: string): number {
  process.stdout.write(text)
  return 0
}

function mistake (message: string, usage: string): number {
  process.stderr.write(`${message}\n\n${usage}`)
  return 2
}

/** parseArgs' own errors (an unknown option, a missing value) are usage mistakes, like the commands' UsageError. */
function isUsageMistake (err: unknown): boolean {
  return err instanceof UsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
}

main(process.argv.slice(2)).then((code) => {
  if (code === 0) process.exitCode = 0
  // Exit now on failure: a start that failed half-way may leave a thread or a timer that would keep the process alive.
  else process.exit(code)
}, (err: unknown) => {
  process.stderr.write(`hookgate: ${String(err)}\n`)
  process.exit(1)
})
