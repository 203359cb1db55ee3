/**
 * Plain text tables for people: a header row and left-aligned columns padded
 * to their widest cell. Scripts use --json instead, so this format may change.
 */
export function table (rows: ReadonlyArray<Readonly<Record<string, unknown>>>, columns: ReadonlyArray<readonly [header: string, key: string]>): string {
  const cells = rows.map((row) => columns.map(([, key]) => cell(row[key])))
  const widths = columns.map(([header], i) => Math.max(header.length, ...cells.map((r) => r[i]!.length)))
  const line = (values: readonly string[]) => values.map((v, i) => i === values.length - 1 ? v : v.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(columns.map(([header]) => header)), ...cells.map(line)].join('\n') + '\n'
}

function cell (value: unknown): string {
  if (value === null || value === undefined || value === '') return '-'
  return String(value).replace(/\s+/g, ' ')
}
