import t from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { packageRoot } from '../../src/package-root.js'

const root = packageRoot()
const hookgate = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' })

t.test('check-config prints a one-line summary and exits 0 for the example', async (t) => {
  const run = hookgate(['check-config', '--config', 'config.example.yaml'])
  t.equal(run.status, 0, run.stderr)
  t.match(run.stdout, /^ok: 2 source\(s\): clerk \(clerk\), chaindoc \(chaindoc\); .*\n$/)
  t.notMatch(run.stdout, /whsec_/, 'no secret in the summary')
})

t.test('check-config reads HOOKGATE_CONFIG when no --config is given', async (t) => {
  const run = hookgate(['check-config'], { HOOKGATE_CONFIG: 'config.example.yaml' })
  t.equal(run.status, 0, run.stderr)
})

t.test('check-config exits 1 listing every problem with its key path', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'server: { port: -1 }\nsources:\n  clerk: { provider: clerk, secret: "${NOPE_UNSET}" }\n' })
  const run = hookgate(['check-config', '--config', join(dir, 'bad.yaml')])
  t.equal(run.status, 1)
  t.match(run.stderr, /sources\.clerk\.secret: environment variable NOPE_UNSET is not set/)
  t.match(run.stderr, /server\.port/)
})

t.test('an unknown command prints usage and exits 2', async (t) => {
  const run = hookgate(['frobnicate'])
  t.equal(run.status, 2)
  t.match(run.stderr, /usage: hookgate <command>/)
})
