/** What every provider test checks the same way: the code and status thrown, and no secret in the message. */
import type { Test } from 'tap'

/** The time of provider tests whose verifier takes `now` (ours all do). */
export const NOW = Date.UTC(2026, 10, 23, 12, 0, 0)

export function rejects (t: Test, fn: () => unknown, code: string, statusCode: number, secrets: readonly string[] = []): void {
  let error: unknown
  try { fn() } catch (err) { error = err }
  t.match(error, { code, statusCode }, `throws ${code} (${statusCode})`)
  const message = error instanceof Error ? error.message : ''
  for (const secret of secrets) t.notOk(message.includes(secret), 'the message does not contain the secret')
}

/** The bytes with one bit of one byte flipped. */
export function flipByte (bytes: Buffer | string, at: number): Buffer {
  const copy = Buffer.from(bytes)
  copy[at] = copy[at]! ^ 0x01
  return copy
}

/** The text with the character at `at` replaced by another of the same alphabet (hex or base64). */
export function changeChar (text: string, at: number): string {
  const other = text[at] === 'a' ? 'b' : 'a'
  return text.slice(0, at) + other + text.slice(at + 1)
}
