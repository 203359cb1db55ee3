/**
 * Secrets and tokens that anyone can read: the test vectors of the providers'
 * own documentation and the example values this repository has published.
 * A gateway that others can reach must not accept them (anyone could sign a
 * webhook or call the admin API), so config loading refuses them unless the
 * gateway listens only on loopback. One list, so the README, the examples
 * and the check cannot drift apart.
 */
import { isIP } from 'node:net'

/** Published value → where it was published (said in the error; the value itself never is). */
const PUBLISHED: ReadonlyMap<string, string> = new Map([
  ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'the public Standard Webhooks / Svix test secret (README, config.example.yaml)'],
  ['webhook-secret', "Chaindoc's SDK test secret"],
  ['example-chaindoc-secret-change-me-0123456789', 'the Chaindoc example secret of config.example.yaml'],
  ['example-admin-token-change-me-0123456789', 'the admin token an earlier .env.example published']
])

/** Where `secret` was published, or null when it is not a published value. */
export function publishedAs (secret: string): string | null {
  const value = secret.trim()
  // The whsec_ prefix is optional for a Standard Webhooks key: the same key without it is the same secret.
  return PUBLISHED.get(value) ?? PUBLISHED.get(`whsec_${value}`) ?? null
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost: only this machine can connect. */
export function isLoopbackHost (host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  if (isIP(name) === 4) return name.startsWith('127.')
  if (isIP(name) === 6) return name === '::1' || name.startsWith('::ffff:127.')
  return false
}

/** The problem line for a published secret at `path` on a gateway listening on `host`. */
export function publishedSecretProblem (path: string, publishedWhere: string, host: string, what: string): string {
  return `${path}: this is ${publishedWhere}, so anyone can ${what}. It is accepted only while server.host is loopback ` +
    `(127.0.0.1, ::1 or localhost), and server.host is '${host}'. Set your own secret ` +
    '(for an admin token: openssl rand -hex 24), or listen on 127.0.0.1 to try the gateway on this machine only'
}
