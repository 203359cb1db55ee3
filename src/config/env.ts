/**
 * `${VAR}` and `${VAR:-default}` in any string value, resolved from the
 * environment. A variable that is unset (or empty, for `:-`) with no default
 * is a problem reported with the key path, never silently an empty string.
 */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/** `unset` collects the key paths whose variable was missing, so no second problem is reported there. */
export function resolveEnv (value: unknown, env: NodeJS.ProcessEnv, path: string, problems: string[], unset: Set<string> = new Set()): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_, name: string, fallback: string | undefined) => {
      const found = env[name]
      if (found !== undefined && found !== '') return found
      if (fallback !== undefined) return fallback
      problems.push(`${path}: environment variable ${name} is not set (and no default is given with \${${name}:-default})`)
      unset.add(path)
      return ''
    })
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, env, `${path}[${i}]`, problems, unset))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEnv(v, env, path === '' ? k : `${path}.${k}`, problems, unset)]))
  }
  return value
}
