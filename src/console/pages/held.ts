import type { AdminOperations } from '../../admin/operations.js'
import { html, type Html } from '../html.js'
import { actionButton, time, type View } from '../layout.js'

const PAGE_SIZE = 50
const BACK = { back: '/ui/destinations#held-title' }

type Held = Awaited<ReturnType<AdminOperations['heldSubjects']>>['items'][number]

function state ({ state, head }: Held): Html {
  if (state === 'dead') return html`<span class="badge dead">dead</span>`
  if (state === 'in_flight') return html`<span class="badge pending">in flight</span>`
  return html`<span class="badge pending">retrying</span> <span class="muted">next ${time(head.runAt)}</span>`
}

/**
 * The subjects held up at destinations that order by subject, oldest head
 * first: what holds each (its head), how many wait behind it, and the two
 * ways to release it. A head in flight has no action: the API would refuse both.
 */
export async function heldSection (ops: AdminOperations, view: View, cursor: number | undefined): Promise<Html> {
  const held = await ops.heldSubjects({ cursor, limit: PAGE_SIZE })
  const rows = held.items.map((h) => html`<tr>
<td>${h.destination}</td><td class="mono">${h.subject}</td><td><a class="mono" href="/ui/events/${h.head.eventId}">${h.head.eventId}</a></td>
<td>${state(h)}</td><td class="num">${h.head.attemptCount}</td><td>${h.head.lastError ?? ''}</td><td class="num">${h.waiting}</td>
<td>${h.state === 'in_flight' ? '' : html`${actionButton(view, `/ui/deliveries/${h.head.id}/retry`, 'Retry', `the head of ${h.subject} at ${h.destination}`, BACK)} ${actionButton(view, `/ui/deliveries/${h.head.id}/skip`, 'Skip', `the head of ${h.subject} at ${h.destination}`, BACK)}`}</td></tr>`)
  return html`<h2 id="held-title">Held subjects</h2>
<p>A destination with <code>ordering: subject</code> sends one delivery of a subject at a time, oldest first. A subject is held while its head has failed and waits for its retry, or is dead where dead heads block (<code>onDead: block</code>). <em>Retry</em> sends the head again, before the rest; <em>Skip</em> takes it out of the line (it stays dead) so the next goes now.</p>
<div id="held" data-live>
<table>
<caption class="muted">${held.items.length === 0 ? 'No subject is held.' : `${held.items.length} held ${held.items.length === 1 ? 'subject' : 'subjects'}, oldest head first`}</caption>
<thead><tr><th scope="col">Destination</th><th scope="col">Subject</th><th scope="col">Head event</th><th scope="col">State</th><th scope="col" class="num">Attempts</th><th scope="col">Last error</th><th scope="col" class="num">Waiting</th><th scope="col">Action</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</div>
<p class="pager">${held.nextCursor === null ? '' : html`<a href="/ui/destinations?held=${held.nextCursor}#held-title" rel="next">More held subjects</a>`}</p>`
}
