/**
 * The CLI's help and usage mistakes, through the real entry point: help goes
 * to stdout with exit 0; an unknown command or option exits 2 with the usage
 * on stderr.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { COMMAND_HELP } from '../../src/cli/help.js'
import { packageRoot } from '../../src/package-root.js'

const root = packageRoot()
const commands = Object.keys(COMMAND_HELP)

function hookgate (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    // No HOOKGATE_CONFIG: help must not need a configuration.
    const env = { ...process.env, HOOKGATE_CONFIG: '' }
    execFile(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), ...args], { cwd: root, env, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code), stdout, stderr })
    })
  })
}

t.test('the overview goes to stdout with exit 0: no arguments, --help, -h, help', async (t) => {
  const runs = await Promise.all([[], ['--help'], ['-h'], ['help']].map(hookgate))
  for (const run of runs) {
    t.equal(run.code, 0)
    t.match(run.stdout, /^usage: hookgate <command> \[options\]\n/)
    for (const name of commands) t.match(run.stdout, `  hookgate ${name} `)
    t.equal(run.stderr, '')
  }
})

t.test('every command prints its own usage to stdout with exit 0, for --help, -h and help <command>', async (t) => {
  for (const name of commands) {
    const runs = await Promise.all([[name, '--help'], [name, '-h'], ['help', name]].map(hookgate))
    for (const run of runs) {
      t.equal(run.code, 0, name)
      t.match(run.stdout, new RegExp(`^usage: hookgate ${name}[ \\n]`), name)
      t.match(run.stdout, /--help, -h +this help\n$/, name)
      t.equal(run.stderr, '', name)
    }
  }
})

t.test('--help wins over the other arguments, and needs no configuration', async (t) => {
  const run = await hookgate(['retry', '--dead', '--destination', 'x', '--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /^usage: hookgate retry /)
})

t.test('an unknown command exits 2 with the overview on stderr', async (t) => {
  for (const args of [['frobnicate'], ['help', 'frobnicate']]) {
    const run = await hookgate(args)
    t.equal(run.code, 2, args.join(' '))
    t.equal(run.stdout, '')
    t.match(run.stderr, /'frobnicate'\n\nusage: hookgate <command> \[options\]\n/)
  }
})

t.test('an unknown option exits 2 with the command\'s usage on stderr, for every command', async (t) => {
  const runs = await Promise.all(commands.map((name) => hookgate([name, '--frobnicate'])))
  runs.forEach((run, i) => {
    const name = commands[i]!
    t.equal(run.code, 2, name)
    t.equal(run.stdout, '', name)
    t.match(run.stderr, new RegExp(`^hookgate ${name}: Unknown option '--frobnicate'.*\\n[^]*usage: hookgate ${name}[ \\n]`), name)
  })
})
