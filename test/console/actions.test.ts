import t, { type Test } from 'tap'
import { buildAdmin } from '../fixtures/admin.js'
import { ingest } from '../fixtures/events.js'
import { startReceiver } from '../fixtures/receiver.js'
import { csrfOf, get, post, signIn } from './fixtures.js'

/** One event, its delivery to `svc` dead (the receiver refused it with 400), and a signed-in console. */
async function withDead (t: Test) {
  let answer = { status: 400, body: 'no' }
  const receiver = await startReceiver(t, () => answer)
  const built = await buildAdmin(t, { destinations: { svc: { url: receiver.url } } })
  const eventId = await ingest(built.app, 1)
  await built.app.hookgate.dispatcher.runOnce()
  const { cookie } = await signIn(built.app)
  const page = await get(built.app, cookie, '/ui/dead')
  const deliveryId = /action="\/ui\/deliveries\/(\d+)\/retry"/.exec(page.body)?.[1]
  return { ...built, receiver, eventId, cookie, csrf: csrfOf(page.body), deliveryId: deliveryId!, answerWith: (status: number) => { answer = { status, body: 'ok' } } }
}

t.test('retries one dead delivery from the dead letters, and goes back there with the outcome', async (t) => {
  const { app, receiver, cookie, csrf, deliveryId, answerWith } = await withDead(t)
  t.ok(deliveryId)
  answerWith(200)
  const res = await post(app, cookie, `/ui/deliveries/${deliveryId}/retry`, { _csrf: csrf, back: '/ui/dead?destination=svc' })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/ui/dead?destination=svc')
  t.match((await get(app, cookie, '/ui/dead?destination=svc')).body, `Delivery ${deliveryId} is due now.`)
  await app.hookgate.dispatcher.runOnce()
  t.equal(receiver.requests.length, 2)
  t.match((await get(app, cookie, '/ui/dead')).body, 'No dead delivery matches.')
})

t.test('shows the admin API\'s refusal as the next page\'s message: a delivered delivery, an unknown destination', async (t) => {
  const { app, cookie, csrf, deliveryId, eventId, answerWith } = await withDead(t)
  answerWith(200)
  await post(app, cookie, `/ui/deliveries/${deliveryId}/retry`, { _csrf: csrf })
  await app.hookgate.dispatcher.runOnce()
  await post(app, cookie, `/ui/deliveries/${deliveryId}/retry`, { _csrf: csrf, back: `/ui/events/${eventId}` })
  t.match((await get(app, cookie, `/ui/events/${eventId}`)).body, /class="flash error" role="alert">[^<]*was delivered; replay the event to send it again/)
  await post(app, cookie, `/ui/events/${eventId}/replay`, { _csrf: csrf, destination: 'nowhere' })
  t.match((await get(app, cookie, `/ui/events/${eventId}`)).body, /class="flash error"[^>]*>[^<]*nowhere/)
})

t.test('sends an action back only to a console page, never to another site', async (t) => {
  const { app, cookie, csrf, deliveryId } = await withDead(t)
  for (const back of ['https://evil.example/', '//evil.example/ui/', '/ui\\\\evil']) {
    const res = await post(app, cookie, `/ui/deliveries/${deliveryId}/retry`, { _csrf: csrf, back })
    t.equal(res.headers.location, '/ui/dead', back)
  }
})

t.test('the dry run counts without retrying; the retry reports a count that moved since', async (t) => {
  const { app, cookie, csrf } = await withDead(t)
  const preview = await get(app, cookie, '/ui/dead?destination=svc&preview=1')
  t.match(preview.body, /id="dry-run-count">1</)
  t.match((await get(app, cookie, '/ui/dead')).body, /1 dead deliveries, newest first/, 'still dead')
  await post(app, cookie, '/ui/dead/retry', { _csrf: csrf, destination: 'svc', expected: '3' })
  t.match((await get(app, cookie, '/ui/dead')).body, 'Retried 1 dead delivery (the dry run counted 3: some died or were retried since).')
})
