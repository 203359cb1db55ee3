// Held subjects in a real browser: headless Chromium against a listening
// gateway whose `ledger` orders by subject and blocks on a dead head, and a
// real receiver. Deliveries are driven with dispatcher.runOnce() between clicks.
import { join } from 'node:path'
import t from 'tap'
import { ADMIN_TOKEN, buildAdmin } from '../fixtures/admin.js'
import { ingest, WallClock } from '../fixtures/events.js'
import { startReceiver, type Received } from '../fixtures/receiver.js'
import { axeViolations, collectErrors, launch } from './browser.js'

const sent = (r: Received) => JSON.parse(r.body.toString()) as { id: string, subject: string }

t.test('skips one held head and retries another from the destinations page; each subject then goes on in order', async (t) => {
  const refused = new Set(['user_a', 'user_b'])
  const receiver = await startReceiver(t, (r) => refused.has(sent(r).subject) ? { status: 422, body: 'customer_id is required' } : { status: 200 })
  const { app } = await buildAdmin(t, { clock: new WallClock(), destinations: { ledger: { url: receiver.url, ordering: 'subject', onDead: 'block' } } })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const drain = async () => { while ((await app.hookgate.dispatcher.runOnce()).claimed > 0); }
  const to = (subject: string) => receiver.requests.map(sent).filter((e) => e.subject === subject).map((e) => e.id)
  const a = [await ingest(app, 'a1', 'user.created', 'user_a'), await ingest(app, 'a2', 'user.updated', 'user_a')]
  const b = [await ingest(app, 'b1', 'user.created', 'user_b'), await ingest(app, 'b2', 'user.updated', 'user_b')]
  await drain()
  t.same([to('user_a'), to('user_b')], [[a[0]], [b[0]]], 'each head refused, nothing sent behind it')

  const browser = await launch(t)
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.setDefaultTimeout(5000)
  const errors = collectErrors(page)
  await page.goto(`${base}/ui/login`)
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Overview' }).waitFor()
  t.equal((await page.locator('[data-figure="ledger-held"]').textContent())?.trim(), '2')
  await page.getByRole('link', { name: 'Destinations' }).click()
  await page.getByRole('heading', { name: 'Held subjects' }).waitFor()
  t.equal(await page.locator('#held tbody tr').count(), 2)
  t.match(await page.locator('#held tbody tr').filter({ hasText: 'user_a' }).textContent(), /dead.*HTTP 422.*1/s)
  const violations = await axeViolations(page)
  t.same(violations.map((v) => `${v.id}: ${v.help}`), [], 'axe-core finds nothing serious')
  await page.screenshot({ path: join(process.env.HOOKGATE_SCREENSHOTS ?? t.testdir(), 'held-subjects.png'), fullPage: true })

  refused.clear()
  await page.getByRole('button', { name: 'Skip the head of user_a at ledger' }).click()
  await page.getByText(/was skipped \(it stays dead\): the next of its subject goes now\./).waitFor()
  await drain()
  t.same(to('user_a'), a, 'a2 went after the skipped a1')
  await page.getByRole('button', { name: 'Retry the head of user_b at ledger' }).click()
  await page.getByText(/is due now\./).waitFor()
  await drain()
  t.same(to('user_b'), [b[0], b[0], b[1]], 'b1 again, then b2')
  await page.reload()
  await page.getByText('No subject is held.').waitFor()
  t.same(errors, [], 'no console error')
})
