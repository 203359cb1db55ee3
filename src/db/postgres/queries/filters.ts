import type { Page } from '../../../store/contract.js'

/** As the SQLite adapter's: fixed SQL fragments with named parameters, chosen only when their value is given. */
export function whereClause (fragments: ReadonlyArray<readonly [given: boolean, sql: string]>): string {
  const chosen = fragments.filter(([given]) => given).map(([, sql]) => sql)
  return chosen.length === 0 ? '' : 'WHERE ' + chosen.join(' AND ')
}

/** Rows were fetched with LIMIT n + 1: the extra one only says that another page exists. */
export function toPage<R, T> (rows: R[], limit: number, map: (row: R) => T, cursorOf: (row: R) => string): Page<T> {
  const more = rows.length > limit
  const kept = more ? rows.slice(0, limit) : rows
  return { items: kept.map(map), nextCursor: more && kept.length > 0 ? cursorOf(kept[kept.length - 1]!) : null }
}

/** SQLite's GLOB (case-sensitive; * ? and [...] classes, ^ negating) as an anchored POSIX regular expression. */
export function globToRegex (glob: string): string {
  let out = '^'
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') out += '.*'
    else if (c === '?') out += '.'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end === -1) { out += '\\['; continue }
      const body = glob.slice(i + 1, end)
      out += '[' + body.replace(/\\/g, '\\\\') + ']'
      i = end
    } else out += /[.+()|{}$^\\]/.test(c) ? '\\' + c : c
  }
  return out + '$'
}
