/**
 * The generic hmac provider's per-source scheme, read once from the source's
 * `options` and frozen. Every problem is named by its key; none echoes a secret.
 */
import type { MacAlgorithm } from './mac.js'
import type { ParsedOptions } from './types.js'

export interface HmacScheme {
  /** Lower-case name of the header carrying the signature. */
  readonly header: string
  readonly algorithm: MacAlgorithm
  readonly encoding: 'hex' | 'base64'
  /** Text before the encoded MAC in the header (`sha256=`), exact. */
  readonly prefix: string
  /** What is signed: the text before `{timestamp}` (if any), between it and `{body}`; the body is always last. */
  readonly signed: { readonly before: string, readonly between: string | null }
  readonly timestampHeader: string | null
  readonly dedup: { readonly header: string } | { readonly pointer: readonly string[] } | 'digest'
  readonly type: { readonly header: string } | { readonly pointer: readonly string[] }
}

const KEYS = ['header', 'algorithm', 'encoding', 'prefix', 'signed', 'timestampHeader', 'dedupHeader', 'dedupPointer', 'typeHeader', 'typePointer']
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/
const ALGORITHMS: readonly MacAlgorithm[] = ['sha1', 'sha256', 'sha512']

export function parseHmacOptions (options: Readonly<Record<string, unknown>>): ParsedOptions {
  const problems: string[] = []
  for (const key of Object.keys(options)) if (!KEYS.includes(key)) problems.push(`unknown key '${key}' (known: ${KEYS.join(', ')})`)
  const text = (key: string, fallback?: string): string | undefined => {
    const value = options[key] ?? fallback
    if (value === undefined || typeof value === 'string') return value
    problems.push(`${key}: expected a string`)
    return undefined
  }
  const headerName = (key: string, required = false): string | null => {
    const value = text(key)
    if (value === undefined) { if (required) problems.push(`${key}: required (the header's name)`); return null }
    if (!HEADER_NAME.test(value)) { problems.push(`${key}: not a header name`); return null }
    return value.toLowerCase()
  }
  const pointer = (key: string): readonly string[] | null => {
    const value = text(key)
    if (value === undefined) return null
    const parsed = parsePointer(value)
    if (parsed === null) problems.push(`${key}: not a JSON pointer ('/type', '/data/id')`)
    return parsed
  }

  const header = headerName('header', true)
  const algorithm = text('algorithm', 'sha256') as MacAlgorithm
  if (!ALGORITHMS.includes(algorithm)) problems.push(`algorithm: expected one of ${ALGORITHMS.join(', ')}`)
  const encoding = text('encoding', 'hex')
  if (encoding !== 'hex' && encoding !== 'base64') problems.push('encoding: expected hex or base64')
  const prefix = text('prefix', '') ?? ''
  const template = text('signed', '{body}') ?? '{body}'
  const signed = parseTemplate(template)
  if (signed === null) problems.push("signed: must end with {body} and hold {timestamp} at most once ('{body}', '{timestamp}.{body}')")
  const timestampHeader = headerName('timestampHeader')
  if (signed !== null && (signed.between !== null) !== (timestampHeader !== null)) problems.push('timestampHeader: give it exactly when signed holds {timestamp}')
  const dedupHeader = headerName('dedupHeader')
  const dedupPointer = pointer('dedupPointer')
  if (dedupHeader !== null && dedupPointer !== null) problems.push('dedupHeader, dedupPointer: give at most one (neither: the body digest)')
  const typeHeader = headerName('typeHeader')
  const typePointer = options.typeHeader === undefined ? (pointer('typePointer') ?? ['type']) : pointer('typePointer')
  if (typeHeader !== null && typePointer !== null) problems.push('typeHeader, typePointer: give at most one (neither: the body\'s /type)')

  if (problems.length > 0 || header === null || signed === null) return { problems }
  return {
    options: Object.freeze<HmacScheme>({
      header, algorithm, encoding: encoding as HmacScheme['encoding'], prefix, signed: Object.freeze(signed), timestampHeader,
      dedup: dedupHeader !== null ? Object.freeze({ header: dedupHeader }) : dedupPointer !== null ? Object.freeze({ pointer: dedupPointer }) : 'digest',
      type: Object.freeze(typeHeader !== null ? { header: typeHeader } : { pointer: typePointer! })
    })
  }
}

function parseTemplate (template: string): HmacScheme['signed'] | null {
  if (!template.endsWith('{body}')) return null
  const head = template.slice(0, -'{body}'.length)
  if (head.includes('{body}')) return null
  const parts = head.split('{timestamp}')
  if (parts.length > 2) return null
  return { before: parts[0]!, between: parts.length === 2 ? parts[1]! : null }
}

/** RFC 6901: '' is the whole document (refused here: a type or id is never the whole body), '/a/b~1c' → ['a', 'b/c']. */
export function parsePointer (pointer: string): readonly string[] | null {
  if (!pointer.startsWith('/')) return null
  return Object.freeze(pointer.slice(1).split('/').map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~')))
}
