import t from 'tap'
import { gitlab } from '../../providers/gitlab.js'
import { samples } from '../../providers/samples.js'
import { changeChar, rejects } from './support.js'

const TOKEN = 'gitlab-secret-token-0123456789'
const UUID = '9cdcb8a5-a5d8-4a8e-8f3b-2c7fc9f8f0a1'
// Trimmed from GitLab's documented push event (docs.gitlab.com/user/project/integrations/webhook_events/#push-events).
const BODY = '{"object_kind":"push","event_name":"push","ref":"refs/heads/master","project_id":15,"project":{"id":15,"path_with_namespace":"mike/diaspora"}}'

const verify = (headers: Record<string, string | undefined>, body: string = BODY, secrets = [TOKEN]) =>
  gitlab.verify({ headers, body: Buffer.from(body) }, secrets, 0, { toleranceMs: 300_000 })

t.test('the configured token verifies and yields the event UUID, object_kind and project', async (t) => {
  t.same(verify({ 'x-gitlab-token': TOKEN, 'x-gitlab-event-uuid': UUID }), {
    dedupKey: UUID, type: 'push', subject: 'mike/diaspora', payload: JSON.parse(BODY)
  })
})

t.test('a one-character change of the token, a longer or shorter one, or none fails; the token is never in the message', async (t) => {
  for (const bad of [changeChar(TOKEN, 5), TOKEN + 'x', TOKEN.slice(1), ` ${TOKEN}`]) {
    rejects(t, () => verify({ 'x-gitlab-token': bad }), 'HG_ERR_SIGNATURE_INVALID', 401, [TOKEN])
  }
  rejects(t, () => verify({}), 'HG_ERR_SIGNATURE_MISSING', 401)
  rejects(t, () => verify({ 'x-gitlab-token': TOKEN }, BODY, ['']), 'HG_ERR_SIGNATURE_INVALID', 401)
  t.notOk(gitlab.storedHeaders.includes('x-gitlab-token'), 'the token is not kept with the event')
})

t.test('a rotated token: either verifies; without an event UUID the body digest is the key', async (t) => {
  t.match(verify({ 'x-gitlab-token': TOKEN }, BODY, ['new-token', TOKEN]), { dedupKey: /^sha256:[0-9a-f]{64}$/ })
})

t.test('a body that is not a GitLab event is a 400 once the token holds (the token does not cover the body)', async (t) => {
  for (const body of ['nope', '{}', '{"object_kind":3}']) rejects(t, () => verify({ 'x-gitlab-token': TOKEN }, body), 'HG_ERR_PAYLOAD_INVALID', 400)
})

t.test('the sample sends the token and a Push Hook event header', async (t) => {
  const headers = samples.gitlab.sign(samples.gitlab.body('merge_request', 0), TOKEN, 0, 'merge_request')
  t.match(headers, { 'x-gitlab-token': TOKEN, 'x-gitlab-event': 'Merge request Hook' })
  t.equal(verify(headers, samples.gitlab.body('merge_request', 0)).type, 'merge_request')
})
