/**
 * GitLab (https://docs.gitlab.com/user/project/integrations/webhooks/): the
 * hook's secret token is sent as is in `X-Gitlab-Token`; there is no MAC and
 * no timestamp, so the token proves only that the sender knows it, not that
 * the body is unchanged (TLS must protect it). Compared in constant time.
 * Dedup on `X-Gitlab-Event-UUID` (else the body digest), type `object_kind`.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { HG_ERR_PAYLOAD_INVALID, HG_ERR_SIGNATURE_INVALID, HG_ERR_SIGNATURE_MISSING } from '../src/errors.js'
import { isObject, parseObject } from './json.js'
import { bodyDigest, validateSharedSecret } from './mac.js'
import type { Provider, VerifiedEvent } from './types.js'

export const gitlab: Provider = Object.freeze<Provider>({
  name: 'gitlab',
  // The token itself is a secret: never kept with the event.
  storedHeaders: ['x-gitlab-event', 'x-gitlab-event-uuid', 'x-gitlab-webhook-uuid', 'x-gitlab-instance'],
  validateSecret: validateSharedSecret,

  verify (req, secrets): VerifiedEvent {
    const token = req.headers['x-gitlab-token']
    if (!token) throw new HG_ERR_SIGNATURE_MISSING('x-gitlab-token')
    // Digests first, so the comparison is constant-time whatever the lengths.
    const given = sha256(token)
    if (!secrets.some((secret) => secret !== '' && timingSafeEqual(given, sha256(secret)))) throw new HG_ERR_SIGNATURE_INVALID()

    const body = parseObject(req.body, 'GitLab')
    if (typeof body.object_kind !== 'string' || body.object_kind === '') throw new HG_ERR_PAYLOAD_INVALID('GitLab', 'no string "object_kind"')
    const project = isObject(body.project) && typeof body.project.path_with_namespace === 'string' ? body.project.path_with_namespace : undefined
    return { dedupKey: req.headers['x-gitlab-event-uuid']?.trim() || bodyDigest(req.body), type: body.object_kind, subject: project, payload: body }
  }
})

function sha256 (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
