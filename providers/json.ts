import { HG_ERR_PAYLOAD_INVALID } from '../src/errors.js'

/** Fatal decoder: bytes that are not UTF-8 are refused, not turned into U+FFFD. */
export const utf8 = new TextDecoder('utf-8', { fatal: true })

export function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The signed body as a JSON object, or a 400 naming the provider (never the parser's text: it quotes the body). */
export function parseObject (bytes: Buffer, provider: string): Record<string, unknown> {
  let body: unknown
  try {
    body = JSON.parse(utf8.decode(bytes))
  } catch {
    throw new HG_ERR_PAYLOAD_INVALID(provider, 'body is not UTF-8 JSON')
  }
  if (!isObject(body)) throw new HG_ERR_PAYLOAD_INVALID(provider, 'body is not a JSON object')
  return body
}
