/**
 * What `hookgate --help`, `hookgate help [command]` and `hookgate <command>
 * --help` print: the overview, and each command's synopsis with its options.
 */

/** An option (or a form of the command) and what it does; an empty first half continues the line above. */
type Line = readonly [string, string]

export interface CommandHelp {
  /** "synopsis  description", as the overview lists it. */
  readonly summary: string
  readonly options: readonly Line[]
}

const CONFIG: Line = ['--config FILE, -c', 'the configuration (or HOOKGATE_CONFIG)']
const CLIENT: readonly Line[] = [
  ['--config FILE, -c', 'the gateway\'s configuration (or HOOKGATE_CONFIG): its port and admin.token'],
  ['--url URL', 'the gateway (or HOOKGATE_URL); default: the config\'s port on this machine'],
  ['--json', 'print the API\'s JSON answer instead of a table']
]

export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  start: {
    summary: 'start --config FILE          run the gateway (or set HOOKGATE_CONFIG)',
    options: [CONFIG, ['', 'SIGTERM or SIGINT (Ctrl-C) stops it gracefully']]
  },
  'check-config': {
    summary: 'check-config --config FILE   validate a configuration and print a summary',
    options: [CONFIG, ['', 'exit 0 with a one-line summary, or 1 with every problem and its key path']]
  },
  send: {
    summary: 'send <source> [--type T]  post a correctly signed sample event (--url, or the config\'s port)',
    options: [['--type T', 'the event type (default: the provider\'s most common one)'],
      ['--signing-key FILE', 'a source that holds a public key (Discord): the PEM ed25519 private key that signs (or HOOKGATE_SIGNING_KEY)'], ...CLIENT]
  },
  events: {
    summary: 'events [--status S] [--source S]  list events; also --type, --subject, --since, --until, --limit, --cursor',
    options: [
      ['--status S', 'pending, delivered or dead'],
      ['--source S, --type T, --subject S', 'only these'],
      ['--since ISO, --until ISO', 'received in this range'],
      ['--limit N, --cursor C', 'page through (the table prints the next --cursor)'],
      ...CLIENT
    ]
  },
  replay: {
    summary: 'replay <event id> [--destination D]  deliver an event again, as new deliveries',
    options: [['--destination D', 'only to this destination (default: every one that takes the event)'], ...CLIENT]
  },
  retry: {
    summary: 'retry --dead|--pending [--destination D]  retry dead deliveries, or send waiting ones now (--dry-run counts); or one delivery or event',
    options: [
      ['retry --dead', 'every dead delivery gets a fresh retry schedule'],
      ['retry --pending', 'every delivery waiting for a later retry is due now (the receiver is back)'],
      ['retry <delivery id>', 'that one delivery: a dead one starts again, a waiting one is due now'],
      ['retry <event id>', 'that event\'s dead and waiting deliveries'],
      ['--destination D', 'only deliveries to this destination'],
      ['--since ISO, --until ISO', 'only deliveries created in this range'],
      ['--dry-run', 'count, change nothing'],
      ...CLIENT
    ]
  },
  held: {
    summary: 'held [--destination D]  subjects held at destinations with ordering: subject, each with its head delivery',
    options: [
      ['--destination D', 'only this destination'],
      ['--limit N, --cursor C', 'page through (the table prints the next --cursor)'],
      ['', 'release a subject with `hookgate retry <head>` (its head goes again, first) or `hookgate skip <head>`'],
      ...CLIENT
    ]
  },
  skip: {
    summary: 'skip <delivery id>  take a held subject\'s head out of its line: the next of the subject goes now',
    options: [['', 'the skipped delivery is dead (a waiting one becomes dead); `hookgate retry` still sends it, out of order'], ...CLIENT]
  }
}

/** Rows of two columns, the first padded to its widest. */
function columns (rows: readonly Line[], indent: string): string {
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}  ${right}`.trimEnd()).join('\n') + '\n'
}

const split = (summary: string): Line => summary.split(/ {2,}/) as unknown as Line

/** `hookgate --help`: every command on one line. */
export function overview (): string {
  const rows = Object.values(COMMAND_HELP).map((c) => split(c.summary)).map(([synopsis, text]): Line => [`hookgate ${synopsis}`, text])
  return 'usage: hookgate <command> [options]\n\n' + columns(rows, '  ') +
    '\nAdmin commands take --url (or HOOKGATE_URL) and the token from HOOKGATE_ADMIN_TOKEN or admin.token in --config / HOOKGATE_CONFIG;\n' +
    'send, events, replay, retry, held and skip print a table, or the API\'s JSON with --json.\n' +
    '`hookgate help <command>` or `hookgate <command> --help` shows a command\'s options.\n'
}

/** `hookgate <command> --help`: its synopsis, what it does, its options. */
export function commandUsage (name: string): string {
  const help = COMMAND_HELP[name]!
  const [synopsis, text] = split(help.summary)
  return `usage: hookgate ${synopsis}\n\n${text}\n\n` + columns([...help.options, ['--help, -h', 'this help']], '  ')
}
