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
      out += '[' + glob.slice(i + 1, end).replace(/\\/g, '\\\\') + ']'
      i = end
    } else out += /[.+()|{}$^\\]/.test(c) ? '\\' + c : c
  }
  return out + '$'
}
