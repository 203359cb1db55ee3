import t, { type Test } from 'tap'
import { buildAdmin } from '../fixtures/admin.js'
import { deliveries, ingest } from '../fixtures/events.js'
import { startReceiver, type Received } from '../fixtures/receiver.js'
import { csrfOf, get, post, signIn } from './fixtures.js'

const sent = (r: Received) => JSON.parse(r.body.toString()) as { id: string, subject: string }

/** `ledger` orders by subject and blocks on a dead head; its receiver refuses user_a (400). user_a's head is dead with two behind it. */
async function withHeld (t: Test) {
  const refused = new Set(['user_a'])
  const receiver = await startReceiver(t, (r) => refused.has(sent(r).subject) ? { status: 400, body: 'no' } : { status: 200 })
  const built = await buildAdmin(t, { destinations: { ledger: { url: receiver.url, ordering: 'subject', onDead: 'block', concurrency: 60 }, plain: { url: `${receiver.url}?to=plain` } } })
  const ids = [await ingest(built.app, 1, 'user.created', 'user_a'), await ingest(built.app, 2, 'user.updated', 'user_a'), await ingest(built.app, 3, 'user.updated', 'user_a')]
  await built.app.hookgate.dispatcher.runOnce()
  const head = (await deliveries(built.app)).find((d) => d.destination === 'ledger')!
  const { cookie } = await signIn(built.app)
  const page = await get(built.app, cookie, '/ui/destinations')
  const toLedger = () => receiver.requests.filter((r) => !r.url.endsWith('to=plain')).map(sent).filter((e) => e.subject === 'user_a').map((e) => e.id)
  return { ...built, receiver, refused, ids, head, cookie, page, csrf: csrfOf(page.body), toLedger }
}

/** The held table's rows, each as its cells' text. */
const heldRows = (body: string): string[][] => [...(/<div id="held" data-live>([^]*?)<\/div>/.exec(body)?.[1] ?? '').matchAll(/<tr>\n([^]*?)<\/tr>/g)]
  .map((m) => [...m[1]!.matchAll(/<td[^>]*>([^]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()))

t.test('the destinations page lists each held subject with its head, state, attempts, error and waiting count, with Retry and Skip', async (t) => {
  const { page, head, ids } = await withHeld(t)
  t.equal(page.statusCode, 200)
  t.match(page.body, '<h2 id="held-title">Held subjects</h2>')
  t.same(heldRows(page.body), [['ledger', 'user_a', ids[0], 'dead', '1', 'HTTP 400', '2', 'Retry Skip']])
  t.match(page.body, `action="/ui/deliveries/${head.id}/skip"`)
  t.match(page.body, `action="/ui/deliveries/${head.id}/retry"`)
  t.match(page.body, 'aria-label="Skip the head of user_a at ledger"')
  t.match(page.body, /<th scope="row">ledger<\/th>[^]*?<a href="#held-title">1<\/a> <span class="muted">\(2 waiting\)<\/span>/, 'the destination row counts it')
  t.match(page.body, /<th scope="row">plain<\/th>(?:(?!<\/tr>)[^])*<td class="num">—<\/td>/, 'a destination that orders nothing has no held count')
})

t.test('Skip releases the subject: back on the page with the outcome, the next events go in order, nothing is held', async (t) => {
  const { app, cookie, csrf, head, ids, refused, toLedger } = await withHeld(t)
  refused.clear()
  const res = await post(app, cookie, `/ui/deliveries/${head.id}/skip`, { _csrf: csrf, back: '/ui/destinations#held-title' })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/ui/destinations#held-title')
  const after = await get(app, cookie, '/ui/destinations')
  t.match(after.body, `Delivery ${head.id} was skipped (it stays dead): the next of its subject goes now.`)
  await app.hookgate.dispatcher.runOnce()
  await app.hookgate.dispatcher.runOnce()
  t.same(toLedger(), ids)
  t.match((await get(app, cookie, '/ui/destinations')).body, 'No subject is held.')
})

t.test('Retry sends the head again first; a refused skip shows the API\'s reason; a forged CSRF token is refused', async (t) => {
  const { app, cookie, csrf, head, ids, refused, toLedger } = await withHeld(t)
  refused.clear()
  t.equal((await post(app, cookie, `/ui/deliveries/${head.id}/retry`, { _csrf: csrf, back: '/ui/destinations#held-title' })).headers.location, '/ui/destinations#held-title')
  t.match((await get(app, cookie, '/ui/destinations')).body, /<span class="badge pending">retrying<\/span>/, 'held until the retried head is through')
  for (let i = 0; i < 3; i++) await app.hookgate.dispatcher.runOnce()
  t.same(toLedger(), [ids[0], ...ids])
  await post(app, cookie, `/ui/deliveries/${head.id}/skip`, { _csrf: csrf })
  t.match((await get(app, cookie, '/ui/destinations')).body, /class="flash error" role="alert">Delivery \d+ was delivered: nothing waits for it/)
  t.equal((await post(app, cookie, `/ui/deliveries/${head.id}/skip`, { _csrf: 'forged' })).statusCode, 403, 'CSRF')
})

t.test('the overview counts held subjects for a destination that orders by subject', async (t) => {
  const { app, cookie } = await withHeld(t)
  const body = (await get(app, cookie, '/ui/')).body
  t.match(body, /data-figure="ledger-held"><a href="\/ui\/destinations#held-title">1<\/a>/)
  t.notMatch(body, 'data-figure="plain-held"')
})

t.test('pages through more held subjects than fit a page; no section where no destination orders by subject', async (t) => {
  const { app, cookie, refused } = await withHeld(t)
  for (let n = 0; n < 50; n++) refused.add(`user_x${n}`)
  for (let n = 0; n < 50; n++) await ingest(app, `x${n}`, 'user.created', `user_x${n}`)
  await app.hookgate.dispatcher.runOnce()
  const first = await get(app, cookie, '/ui/destinations')
  t.equal(heldRows(first.body).length, 50)
  const next = /href="\/ui\/destinations\?held=(\d+)#held-title" rel="next"/.exec(first.body)?.[1]
  t.ok(next)
  t.same(heldRows((await get(app, cookie, `/ui/destinations?held=${next}`)).body).map((r) => r[1]), ['user_x49'])

  const plain = await buildAdmin(t, { destinations: { plain: { url: 'http://127.0.0.1:9/' } } })
  const session = await signIn(plain.app)
  t.notMatch((await get(plain.app, session.cookie, '/ui/destinations')).body, 'Held subjects')
})
