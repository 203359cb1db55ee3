/**
 * TypeBox's validation errors, said in words: one line per key path, naming
 * what is expected. TypeBox 1 reports in the JSON Schema vocabulary
 * ("must match a schema in anyOf", "schema is false"), several lines for one
 * mistake; a person editing YAML wants "expected one of 'clerk', 'chaindoc'".
 */
import type { TLocalizedValidationError } from 'typebox/error'
import { providerNames } from '../../providers/index.js'

/** Patterns of the config schema and what they mean to a person. */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  '^https?://': 'an http:// or https:// URL',
  '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*$': "a duration such as '500ms', '5s', '5m', '2h' or '1d', or a number of milliseconds",
  '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$': "a name of letters, digits, '_' and '-', at most 64 characters",
  '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$': "a name of letters, digits, '_', '.' and '-', at most 64 characters",
  "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$": 'a header name (RFC 9110 token characters)',
  '^[^\\r\\n\\x00]*$': 'a header value without CR, LF or NUL'
}

/** Keys whose schema alone says it badly: what a person should be told instead, whatever the mistake. */
const KEY_WORDS: Readonly<Record<string, string>> = {
  'admin.token': 'expected at least 16 characters (`openssl rand -hex 24` makes one), or empty to turn the admin API off'
}

/** A source's provider is a built-in's name or a plugin module: the union's two branches said as one line. */
function providerWords (path: string): string | undefined {
  if (!/^sources\.[^.]+\.provider$/.test(path)) return undefined
  return `expected one of ${providerNames.map((n) => `'${n}'`).join(', ')}, or { module: <path to a provider plugin, relative to the config file> }`
}

/** Turns a JSON pointer ('/sources/clerk/secrets/0') into a key path ('sources.clerk.secrets[0]'). */
export function keyPath (pointer: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  return parts.length === 0 ? '(root)' : parts.map((p, i) => /^\d+$/.test(p) ? `[${p}]` : (i === 0 ? p : '.' + p)).join('')
}

const join = (parent: string, key: string): string => parent === '(root)' ? key : `${parent}.${key}`

/** What one failed keyword expects, in words; null where a sibling line says it better. */
function expected (error: TLocalizedValidationError): string | null {
  const p = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'type': return `expected ${String(p.type)}`
    case 'minLength': return `expected at least ${String(p.limit)} characters`
    case 'maxLength': return `expected at most ${String(p.limit)} characters`
    case 'minimum': case 'exclusiveMinimum': case 'maximum': case 'exclusiveMaximum':
      return `expected a number ${String(p.comparison)} ${String(p.limit)}`
    case 'minItems': return `expected at least ${String(p.limit)} item(s)`
    case 'maxItems': return `expected at most ${String(p.limit)} item(s)`
    case 'pattern': return `expected ${PATTERN_WORDS[String(p.pattern)] ?? `text matching ${String(p.pattern)}`}`
    case 'required': return `missing ${(p.requiredProperties as string[]).map((k) => `'${k}'`).join(', ')}`
    case 'const': return `'${String(p.allowedValue)}'`
    // The child of an additionalProperties failure ("schema is false"): its parent's line names the key.
    case 'boolean': return null
    default: return error.message
  }
}

/**
 * One problem per key path. Paths in `skip` already have a better line (an
 * unset environment variable), so the schema's complaint about the empty
 * string it left is not said twice.
 */
export function describeSchemaErrors (errors: readonly TLocalizedValidationError[], skip: ReadonlySet<string> = new Set()): string[] {
  const byPath = new Map<string, TLocalizedValidationError[]>()
  const problems: string[] = []
  for (const error of errors) {
    const path = keyPath(error.instancePath)
    if (error.keyword === 'additionalProperties') {
      for (const key of (error.params as { additionalProperties: string[] }).additionalProperties) {
        problems.push(`${join(path, key)}: unknown key (a typo? unknown keys are refused, not ignored)`)
      }
      continue
    }
    if (skip.has(path)) continue
    byPath.set(path, [...(byPath.get(path) ?? []), error])
  }
  for (const [path, group] of byPath) {
    const words = KEY_WORDS[path] ?? providerWords(path)
    if (words !== undefined) {
      problems.push(`${path}: ${words}`)
      continue
    }
    // A union (anyOf) fails with one line per branch and one for itself: say the branches as alternatives.
    const consts = group.filter((e) => e.keyword === 'const').map((e) => String((e.params as { allowedValue: unknown }).allowedValue))
    // A literal branch fails its type too ('expected string' once per literal): "one of 'a', 'b'" already says it.
    const impliedTypes = new Set<string>(group.filter((e) => e.keyword === 'const').map((e) => typeof (e.params as { allowedValue: unknown }).allowedValue))
    const others = [...new Set(group.filter((e) => e.keyword !== 'const' && e.keyword !== 'anyOf')
      .filter((e) => !(e.keyword === 'type' && impliedTypes.has(String((e.params as { type: unknown }).type))))
      .map(expected).filter((w): w is string => w !== null))]
    const alternatives = [...(consts.length > 0 ? [`one of ${consts.map((c) => c === '' ? "'' (empty)" : `'${c}'`).join(', ')}`] : []), ...others]
    if (alternatives.length === 0) continue
    problems.push(`${path}: ${alternatives.length > 1 || consts.length > 0 ? 'expected ' + alternatives.map((a) => a.replace(/^expected /, '')).join(', or ') : alternatives[0]!}`)
  }
  return problems
}
