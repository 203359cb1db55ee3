import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as errors from '../src/errors.js'
import { toGatewayError } from '../src/http-errors.js'
import { packageRoot } from '../src/package-root.js'

type ErrorClass = new (...args: unknown[]) => { code: string, statusCode?: number }
const defined = Object.entries(errors as unknown as Record<string, ErrorClass>)
const BOOT = ['HG_ERR_CONFIG_INVALID', 'HG_ERR_MIGRATION_FAILED', 'HG_ERR_LISTEN_FAILED', 'HG_ERR_STORAGE_IN_USE', 'HG_ERR_STORAGE_UNREACHABLE']

/** Rows of the README's "Error codes" table: | `CODE` | status | meaning | */
function readmeTable (): Map<string, string> {
  const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8')
  const section = readme.split(/^## Error codes$/m)[1]?.split(/^## /m)[0] ?? ''
  return new Map([...section.matchAll(/^\| `(HG_ERR_[A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]))
}

t.test('every export of src/errors.ts is an HG_ERR_* code named after itself', async (t) => {
  t.ok(defined.length > 0)
  for (const [name, ErrorClass] of defined) {
    t.equal(new ErrorClass('x', 'y').code, name)
  }
})

t.test('the README error table lists exactly the codes in src/errors.ts, with their status', async (t) => {
  const table = readmeTable()
  t.same([...table.keys()].sort(), defined.map(([name]) => name).sort())
  for (const [name, ErrorClass] of defined) {
    const status = new ErrorClass('x', 'y').statusCode
    const documented = table.get(name)
    // Boot errors end the process instead of answering a request; writer faults are only logged, beneath a 503.
    const expected = BOOT.includes(name) ? 'exit 1' : name.startsWith('HG_ERR_WRITE') ? 'log' : String(status)
    t.equal(documented, expected, name)
  }
})

t.test('no two codes share a name in the README table', async (t) => {
  const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8')
  const section = readme.split(/^## Error codes$/m)[1]?.split(/^## /m)[0] ?? ''
  const codes = [...section.matchAll(/^\| `(HG_ERR_[A-Z_]+)`/gm)].map((m) => m[1])
  t.equal(new Set(codes).size, codes.length)
})

t.test('a writer fault that reaches a reply is answered as HG_ERR_STORAGE_UNAVAILABLE, with the fault as its cause', async (t) => {
  for (const name of defined.map(([name]) => name).filter((name) => name.startsWith('HG_ERR_WRITE'))) {
    const fault = new (errors as unknown as Record<string, ErrorClass>)[name]!('1')
    const answered = toGatewayError(fault as never, 1024)
    t.match(answered, { code: 'HG_ERR_STORAGE_UNAVAILABLE', statusCode: 503, cause: fault }, name)
    t.notMatch(answered.message, /writer/i, name)
  }
})
