#!/usr/bin/env node
/**
 * The hookgate command. Each subcommand lives in src/cli/; this file only
 * picks one, so `hookgate --help` reads as the list of what it can do.
 */
import { checkConfigCommand } from './cli/check-config.js'
import { eventsCommand } from './cli/events.js'
import { replayCommand } from './cli/replay.js'
import { retryCommand } from './cli/retry.js'
import { sendCommand } from './cli/send.js'
import { startCommand } from './cli/start.js'

const commands: Record<string, { summary: string, run: (argv: string[]) => Promise<number> }> = {
  start: { summary: 'start --config FILE          run the gateway (or set HOOKGATE_CONFIG)', run: startCommand },
  'check-config': { summary: 'check-config --config FILE   validate a configuration and print a summary', run: checkConfigCommand },
  send: { summary: 'send <source> [--type T]  post a correctly signed sample event (--url, or the config\'s port)', run: (argv) => sendCommand(argv) },
  events: { summary: 'events [--status S] [--source S]  list events; also --type, --subject, --since, --until, --limit, --cursor', run: (argv) => eventsCommand(argv) },
  replay: { summary: 'replay <event id> [--destination D]  deliver an event again, as new deliveries', run: (argv) => replayCommand(argv) },
  retry: { summary: 'retry --dead [--destination D]  retry dead deliveries (--dry-run counts them); retry <delivery id> for one', run: (argv) => retryCommand(argv) }
}

function usage (): string {
  // Each summary is "synopsis  description": the synopses are padded to one column.
  const rows = Object.values(commands).map((c) => c.summary.split(/ {2,}/))
  const width = Math.max(...rows.map(([synopsis]) => synopsis!.length))
  return 'usage: hookgate <command> [options]\n\n' + rows.map(([synopsis, text]) => `  hookgate ${synopsis!.padEnd(width)}  ${text}`).join('\n') + '\n' +
    '\nAdmin commands take --url (or HOOKGATE_URL) and the token from HOOKGATE_ADMIN_TOKEN or admin.token in --config / HOOKGATE_CONFIG;\n' +
    'send, events, replay and retry print a table, or the API\'s JSON with --json.\n'
}

const [name, ...rest] = process.argv.slice(2)
const command = name === undefined ? undefined : commands[name]
if (command === undefined) {
  process.stderr.write(usage())
  process.exitCode = name === undefined || name === '--help' || name === '-h' ? 0 : 2
} else {
  command.run(rest).then((code) => { process.exitCode = code }, (err: unknown) => {
    // Every error hookgate raises carries an HG_ERR_* code: print it, so the README's error table finds it.
    const code = (err as { code?: unknown }).code
    const prefix = typeof code === 'string' && code.startsWith('HG_ERR_') ? `${code}: ` : ''
    process.stderr.write(`hookgate ${name}: ${prefix}${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
