// How the house is built, held by a test: features reach storage only
// through src/store/contract.ts, opened by src/db/open-store.ts; each adapter
// (src/db/sqlite/, src/db/postgres/) reaches no feature and not the other
// adapter, its driver package stays inside it, and no SQL lives outside them.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import t from 'tap'
import { packageRoot } from '../src/package-root.js'

const root = packageRoot()

function sources (dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
}

/** What a file imports: repository paths for relative imports (src/db/open.ts), package names otherwise. */
const imports = (file: string): string[] =>
  [...readFileSync(join(root, file), 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)]
    .map((m) => m[1]!)
    .map((s) => s.startsWith('.') ? normalize(join(dirname(file), s)).replace(/\.js$/, '.ts') : s)

const all = [...sources('src'), ...sources('providers')]
const adapter = all.filter((file) => file.startsWith('src/db/'))
const features = all.filter((file) => !file.startsWith('src/db/'))

t.test('outside src/db/, only app.ts and check-config reach storage, and only through open-store.ts', async (t) => {
  const crossings = features.flatMap((file) => imports(file).filter((s) => s.startsWith('src/db/')).map((s) => `${file} → ${s}`))
  t.same(crossings, ['src/app.ts → src/db/open-store.ts', 'src/cli/check-config.ts → src/db/open-store.ts'])
})

t.test('no file outside src/db/ names a database driver or holds an SQL statement', async (t) => {
  const sql = /\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|PRAGMA\s+\w)/
  const offenders = features.filter((file) => {
    const text = readFileSync(join(root, file), 'utf8')
    return /better-sqlite3|from 'pg'|from 'postgres'/.test(text) || sql.test(text)
  })
  t.same(offenders, [])
})

const adapters = { sqlite: /^better-sqlite3$/, postgres: /^pg$/ } as const

for (const [name, driver] of Object.entries(adapters)) {
  t.test(`the ${name} adapter imports no feature and not the other adapter: only its own files, the contract, the shared basics and its driver`, async (t) => {
    const shared = new Set(['src/store/contract.ts', 'src/errors.ts', 'src/ids.ts', 'src/clock.ts', 'src/package-root.ts', 'src/config/load.ts', 'src/config/storage.ts'])
    const own = `src/db/${name}/`
    const allowed = (s: string) => s.startsWith(own) || s.startsWith('src/db/shared/') || shared.has(s) || s.startsWith('node:') || driver.test(s)
    const files = adapter.filter((file) => file.startsWith(own))
    t.ok(files.length > 0, `${own} holds the adapter`)
    t.same(files.flatMap((file) => imports(file).filter((s) => !allowed(s)).map((s) => `${file} → ${s}`)), [])
  })
}

t.test('inside src/db/, only open-store.ts and what both adapters share sit outside an adapter folder; the shared part names no driver', async (t) => {
  const outside = adapter.filter((file) => !Object.keys(adapters).some((name) => file.startsWith(`src/db/${name}/`)))
  t.same(outside.filter((file) => !file.startsWith('src/db/shared/')), ['src/db/open-store.ts'])
  const sharedFiles = outside.filter((file) => file.startsWith('src/db/shared/'))
  t.same(sharedFiles.flatMap((file) => imports(file).filter((s) => !(s === 'src/store/contract.ts' || s.startsWith('src/db/shared/') || s.startsWith('node:'))).map((s) => `${file} → ${s}`)), [])
})

t.test('the contract names no database and imports nothing but itself', async (t) => {
  for (const file of sources('src/store')) {
    t.same(imports(file).filter((s) => !s.startsWith('src/store/')), [], file)
    t.notMatch(readFileSync(join(root, file), 'utf8'), /better-sqlite3|PostgreSQL|from 'pg'/, file)
  }
})
