/** The HMAC checks the MAC-signed providers share: constant time over the exact bytes, any secret of the list. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export type MacAlgorithm = 'sha1' | 'sha256' | 'sha512'

/** Does any secret's HMAC of the parts (in order) equal `given`? An empty secret never matches: it would let anyone sign. */
export function macMatches (given: Buffer | undefined, secrets: readonly string[], algorithm: MacAlgorithm, ...parts: ReadonlyArray<string | Buffer>): boolean {
  if (given === undefined) return false
  for (const secret of secrets) {
    if (secret === '') continue
    const hmac = createHmac(algorithm, secret)
    for (const part of parts) hmac.update(part)
    const expected = hmac.digest()
    // The length is public (the algorithm is); only equal lengths reach the constant-time compare.
    if (expected.length === given.length && timingSafeEqual(expected, given)) return true
  }
  return false
}

/** The dedup key of a provider without a delivery id: the same signed bytes are the same delivery. */
export function bodyDigest (body: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(body).digest('hex')
}

/** Refuses only what is surely a mistake in a shared secret; the text never echoes it. */
export function validateSharedSecret (secret: string): string | null {
  if (secret === '') return 'the secret is empty'
  return secret.trim() === secret ? null : 'the secret has leading or trailing whitespace'
}
