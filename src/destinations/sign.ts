import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'

export interface SignatureHeaders {
  readonly 'webhook-id': string
  readonly 'webhook-timestamp': string
  readonly 'webhook-signature': string
}

export type Signer = (id: string, timestampSec: number, body: Uint8Array) => SignatureHeaders

/**
 * Standard Webhooks signing (the scheme Svix and its libraries verify):
 * `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`, keyed by the
 * base64 after `whsec_`. The key is decoded once per destination; the config
 * loader has already checked the secret's shape. The signature covers the
 * exact bytes sent, so it must be computed after formatting, per attempt.
 */
export function createSigner (secret: string): Signer {
  const key: KeyObject = createSecretKey(Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64'))
  return (id, timestampSec, body) => {
    const timestamp = String(timestampSec)
    const mac = createHmac('sha256', key).update(id).update('.').update(timestamp).update('.').update(body).digest('base64')
    return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` }
  }
}
