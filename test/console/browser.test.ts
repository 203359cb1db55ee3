// The console in a real browser: headless Chromium against a gateway
// listening on 127.0.0.1 and a real receiver. Deliveries are driven with
// dispatcher.runOnce() between clicks, so what the receiver gets is
// deterministic; only the live update waits, on the DOM, for at most 2 s.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { sampleEvent } from '../../providers/samples.js'
import { signChaindoc, signClerk } from '../../providers/sign.js'
import { ADMIN_TOKEN, buildAdmin, rejectionsWritten } from '../fixtures/admin.js'
import { WallClock } from '../fixtures/events.js'
import { startReceiver, type Answer } from '../fixtures/receiver.js'
import { CHAINDOC_SECRET, CLERK_SECRET } from '../helper.js'
import { axeViolations, collectErrors, launch } from './browser.js'

t.test('the web console in headless Chromium, against a listening gateway and a real receiver', async (t) => {
  // Screenshots go to docs/console/ when asked (npm run screenshots), to the test's own folder otherwise.
  const shots = process.env.HOOKGATE_SCREENSHOTS ?? join(t.testdir(), 'shots')
  mkdirSync(shots, { recursive: true })

  let crmAnswer: Answer = { status: 422, headers: { 'content-type': 'application/json' }, body: '{"error":"customer_id is required"}' }
  const receiver = await startReceiver(t, (request) => request.url.endsWith('to=crm') ? crmAnswer : { status: 200, body: 'ok' })
  const { app } = await buildAdmin(t, {
    clock: new WallClock(),
    destinations: {
      billing: { url: `${receiver.url}?to=billing` },
      crm: { url: `${receiver.url}?to=crm`, events: ['user.*'] }
    }
  })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  /** Runs the dispatcher until nothing is due: each pass claims one batch. */
  async function drain (): Promise<void> {
    while ((await app.hookgate.dispatcher.runOnce()).claimed > 0);
  }
  const to = (name: string) => receiver.requests.filter((r) => r.url.endsWith(`to=${name}`))

  async function sendClerk (id: string, type: string): Promise<Response> {
    const body = sampleEvent('clerk', type, Date.now())
    const headers = signClerk({ id, timestampSec: Math.floor(Date.now() / 1000), body, secret: CLERK_SECRET })
    return await fetch(`${base}/webhooks/clerk`, { method: 'POST', headers, body })
  }
  async function sendChaindoc (type: string): Promise<Response> {
    const body = sampleEvent('chaindoc', type, Date.now())
    return await fetch(`${base}/webhooks/chaindoc`, { method: 'POST', headers: signChaindoc({ timestampIso: new Date().toISOString(), body, secret: CHAINDOC_SECRET }), body })
  }

  // What was sent: 8 user events and 4 session events from Clerk, 3 from Chaindoc, 2 forged.
  const clerkTypes = ['user.created', 'user.updated', 'session.created', 'user.created', 'session.ended', 'user.updated', 'user.deleted', 'session.created', 'user.created', 'session.removed', 'user.updated', 'user.created']
  for (const [i, type] of clerkTypes.entries()) t.equal((await sendClerk(`msg_2p${String(i).padStart(3, '0')}`, type)).status, 200)
  for (const type of ['document.signed', 'document.created', 'document.signed']) t.equal((await sendChaindoc(type)).status, 200)
  for (const i of [1, 2]) {
    const forged = await fetch(`${base}/webhooks/clerk`, { method: 'POST', headers: { ...signClerk({ id: `msg_forged${i}`, timestampSec: Math.floor(Date.now() / 1000), body: '{}', secret: 'whsec_' + 'A'.repeat(32) }) }, body: '{"type":"user.created"}' })
    t.equal(forged.status, 401)
  }
  await rejectionsWritten(app)
  await drain()
  const USER_EVENTS = 8
  t.equal(to('billing').length, 15, 'billing took every event')
  t.equal(to('crm').length, USER_EVENTS, 'crm took the user events, and refused each')

  const browser = await launch(t)
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base })
  const page = await context.newPage()
  page.setDefaultTimeout(5000)
  const errors = collectErrors(page)

  /** Every page: no serious or critical axe violation, and a screenshot. */
  async function checkPage (tt: Test, name: string, p: Page = page): Promise<void> {
    const violations = await axeViolations(p)
    tt.same(violations.map((v) => `${v.id}: ${v.help} (${JSON.stringify(v.nodes.map((n) => n.target))})`), [], `${name}: axe-core finds nothing serious`)
    await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
  }

  await t.test('refuses a wrong token and signs in with the right one', async (t) => {
    await page.goto(`${base}/ui/`)
    t.equal(new URL(page.url()).pathname, '/ui/login')
    await page.getByLabel('Admin token').fill('not-the-token-at-all-0000')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('That is not the admin token.').waitFor()
    // Chromium logs a document answered 401 as a console error: this one refusal is expected, and only it.
    t.match(errors.splice(0), [/ui\/login: Failed to load resource: the server responded with a status of 401/])
    await checkPage(t, 'sign-in')
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Overview' }).waitFor()
    t.equal(new URL(page.url()).pathname, '/ui/')
    const cookie = (await context.cookies()).find((c) => c.name === 'hg_session')
    t.match(cookie, { httpOnly: true, sameSite: 'Strict', path: '/ui' })
    t.notOk((await page.content()).includes(ADMIN_TOKEN), 'the token is not in the page')
  })

  await t.test('the overview shows the numbers of what was sent', async (t) => {
    const figure = async (name: string) => (await page.locator(`[data-figure="${name}"]`).textContent())?.trim()
    t.equal(await figure('clerk-accepted-hour'), '12')
    t.equal(await figure('clerk-rejected-day'), '2')
    t.equal(await figure('clerk-received-day'), '14')
    t.equal(await figure('chaindoc-accepted-day'), '3')
    t.equal(await figure('billing-delivered'), '15')
    t.equal(await figure('crm-dead'), String(USER_EVENTS))
    t.equal(await figure('crm-pending'), '0')
    await checkPage(t, 'overview')
  })

  await t.test('filters the events by type glob and by dedup key', async (t) => {
    await page.getByRole('link', { name: 'Events' }).click()
    await page.getByRole('heading', { name: 'Events' }).waitFor()
    t.equal(await page.locator('#events tbody tr').count(), 15)
    await checkPage(t, 'events')
    await page.getByLabel('Type (glob)').fill('session.*')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/type=session/)
    t.equal(await page.locator('#events tbody tr').count(), 4)
    t.same(new Set(await page.locator('#events tbody td.mono:nth-child(3)').allTextContents()), new Set(['session.created', 'session.ended', 'session.removed']))
    await page.getByLabel('Type (glob)').fill('')
    await page.getByLabel('Event id or dedup key').fill('msg_2p003')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/q=msg_2p003/)
    t.equal(await page.locator('#events tbody tr').count(), 1)
  })

  await t.test('opens an event: headers, body, every attempt; replays it to one destination and the receiver gets it', async (t) => {
    await page.locator('#events tbody a').first().click()
    await page.getByRole('heading', { name: /^Event evt_/ }).waitFor()
    const eventId = (await page.locator('h1').textContent())!.replace('Event ', '')
    t.match(await page.locator('table').filter({ hasText: 'svix-id' }).textContent(), 'msg_2p003')
    t.match(await page.locator('#event-body').textContent(), /"type": "user.created"/)
    const crm = page.locator('section.delivery').filter({ hasText: 'to crm' })
    t.match(await crm.locator('tbody tr').first().textContent(), /422.*HTTP 422.*customer_id is required/s, 'time, status, latency, error, first bytes')
    await page.getByRole('button', { name: 'Copy body' }).click()
    await page.getByText('Copied').waitFor()
    t.equal(await page.evaluate(async () => await (globalThis as unknown as { navigator: { clipboard: { readText: () => Promise<string> } } }).navigator.clipboard.readText()), await page.locator('#event-body').textContent())
    await checkPage(t, 'event')

    const before = to('billing').length
    await page.getByRole('combobox', { name: 'Replay to' }).selectOption('billing')
    await page.getByRole('button', { name: 'Replay' }).click()
    await page.getByText('Replayed to billing.').waitFor()
    await drain()
    t.equal(to('billing').length, before + 1)
    t.equal(to('billing').at(-1)!.headers['webhook-id'] ?? JSON.parse(to('billing').at(-1)!.body.toString()).id, eventId, 'the replayed event')
  })

  await t.test('retries the dead deliveries after showing the dry-run count', async (t) => {
    await page.getByRole('link', { name: 'Dead letters' }).click()
    t.equal(await page.locator('#dead tbody tr').count(), USER_EVENTS)
    await page.getByLabel('Destination').selectOption('crm')
    await page.getByRole('button', { name: 'Retry all matching…' }).click()
    await page.locator('#dry-run-count').waitFor()
    t.equal(await page.locator('#dry-run-count').textContent(), String(USER_EVENTS))
    const dead = await app.inject({ url: '/admin/deliveries?status=dead&destination=crm', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    t.equal(dead.json().items.length, USER_EVENTS, 'the dry run changed nothing')
    await checkPage(t, 'dead-letters')
    crmAnswer = { status: 204 }
    const before = to('crm').length
    await page.getByRole('button', { name: `Retry ${USER_EVENTS}` }).click()
    await page.getByText(`Retried ${USER_EVENTS} dead deliveries.`).waitFor()
    await drain()
    t.equal(to('crm').length, before + USER_EVENTS, 'the receiver got each again')
    await page.reload()
    t.equal(await page.locator('#dead tbody tr').count(), 0)
  })

  await t.test('pauses a destination, and resuming it delivers what waited', async (t) => {
    await page.getByRole('link', { name: 'Destinations' }).click()
    await page.getByRole('button', { name: 'Pause billing' }).click()
    await page.getByText('billing is paused: its deliveries wait.').waitFor()
    t.equal((await sendClerk('msg_2p900', 'user.updated')).status, 200)
    const before = to('billing').length
    await drain()
    t.equal(to('billing').length, before, 'nothing leaves while paused')
    await page.reload()
    t.match(await page.locator('#destinations tr').filter({ hasText: 'billing' }).textContent(), /paused/)
    await checkPage(t, 'destinations')
    await page.getByRole('button', { name: 'Resume billing' }).click()
    await page.getByText('billing delivers again.').waitFor()
    await drain()
    t.equal(to('billing').length, before + 1)
  })

  await t.test('the rejections say why each request was refused', async (t) => {
    await page.getByRole('link', { name: 'Rejections' }).click()
    t.equal(await page.locator('#rejections > table > tbody > tr').count(), 2)
    t.match(await page.locator('#rejections').textContent(), 'HG_ERR_SIGNATURE_INVALID')
    await checkPage(t, 'rejections')
  })

  await t.test('a new webhook appears on the events page within 2 s, without a reload', async (t) => {
    await page.goto(`${base}/ui/events`)
    await page.getByText('Live', { exact: true }).waitFor()
    const sentAt = Date.now()
    t.equal((await sendClerk('msg_live_1', 'user.created')).status, 200)
    await page.locator('#events').getByText('msg_live_1').waitFor({ timeout: 2000 })
    t.ok(Date.now() - sentAt < 2000, `shown ${Date.now() - sentAt} ms after it was sent`)
  })

  await t.test('signs out: the session opens nothing afterwards', async (t) => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByLabel('Admin token').waitFor()
    await page.goto(`${base}/ui/events`)
    t.equal(new URL(page.url()).pathname, '/ui/login')
  })

  t.same(errors, [], 'no console error on any page')
})
