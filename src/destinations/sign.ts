import { signStandardWebhook, type StandardWebhookHeaders } from '../../providers/standard-webhooks.js'

export type SignatureHeaders = StandardWebhookHeaders

export type Signer = (id: string, timestampSec: number, body: Uint8Array) => SignatureHeaders

/**
 * Standard Webhooks signing for a destination (the scheme Svix and its
 * libraries verify), with the same code that verifies Clerk. The config
 * loader has already checked the secret's shape. The signature covers the
 * exact bytes sent, so it must be computed after formatting, per attempt.
 */
export function createSigner (secret: string): Signer {
  return (id, timestampSec, body) => signStandardWebhook(secret, id, timestampSec, body)
}
