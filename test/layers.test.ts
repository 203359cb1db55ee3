// How the house is built, held by a test: features reach storage only
// through src/store/contract.ts, the SQLite adapter under src/db/ reaches no
// feature, and no SQL or better-sqlite3 lives outside the adapter. A second
// adapter (PostgreSQL) then slots in without touching a feature.
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

t.test('outside src/db/, only app.ts imports the adapter, and only to open it', async (t) => {
  const crossings = features.flatMap((file) => imports(file).filter((s) => s.startsWith('src/db/')).map((s) => `${file} → ${s}`))
  t.same(crossings, ['src/app.ts → src/db/sqlite/sqlite-store.ts'])
})

t.test('no file outside src/db/ names better-sqlite3 or holds an SQL statement', async (t) => {
  const sql = /\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|PRAGMA\s+\w)/
  const offenders = features.filter((file) => {
    const text = readFileSync(join(root, file), 'utf8')
    return text.includes('better-sqlite3') || sql.test(text)
  })
  t.same(offenders, [])
})

t.test('the adapter imports no feature: only its own files, the contract and the shared basics', async (t) => {
  const shared = new Set(['src/store/contract.ts', 'src/errors.ts', 'src/ids.ts', 'src/clock.ts', 'src/package-root.ts', 'src/config/load.ts'])
  const allowed = (s: string) => s.startsWith('src/db/') || shared.has(s) || /^(node:|better-sqlite3$)/.test(s)
  const crossings = adapter.flatMap((file) => imports(file).filter((s) => !allowed(s)).map((s) => `${file} → ${s}`))
  t.same(crossings, [])
})

t.test('the contract names no database and imports nothing but itself', async (t) => {
  for (const file of sources('src/store')) {
    t.same(imports(file).filter((s) => !s.startsWith('src/store/')), [], file)
    t.notMatch(readFileSync(join(root, file), 'utf8'), /better-sqlite3/, file)
  }
})
