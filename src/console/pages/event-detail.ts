import type { AdminOperations } from '../../admin/operations.js'
import { html, type Html } from '../html.js'
import { actionButton, csrfField, page, statusBadge, time, type View } from '../layout.js'

/** The stored body, indented when it is JSON (nearly always); otherwise as received. */
function prettyBody (body: string | null, encoding: 'utf8' | 'base64'): string {
  if (body === null) return ''
  if (encoding === 'base64') return body
  try {
    return JSON.stringify(JSON.parse(body), null, 2)
  } catch {
    return body
  }
}

/** One event: its headers, its body, every delivery with every attempt; replay to all or one destination. */
export async function eventDetailPage (ops: AdminOperations, view: View, id: string, destinations: readonly string[]): Promise<Html> {
  const event = await ops.getEvent(id)
  const deliveries = event.deliveries.map((d) => html`<section class="delivery" aria-labelledby="delivery-${d.id}">
<h3 id="delivery-${d.id}">Delivery ${d.id} to ${d.destination} ${statusBadge(d.status)}</h3>
<p>${d.attemptCount} attempt${d.attemptCount === 1 ? '' : 's'} in this schedule · ${d.status === 'delivered' ? html`delivered ${time(d.deliveredAt)}` : d.status === 'dead' ? 'gave up' : d.inFlight ? 'being attempted' : html`next attempt ${time(d.runAt)}`}
${d.status === 'delivered' ? '' : html` ${actionButton(view, `/ui/deliveries/${d.id}/retry`, 'Retry now', `delivery ${d.id}`, { back: `/ui/events/${event.id}` })}`}</p>
${d.attempts.length === 0
  ? html`<p class="muted">No attempt yet.</p>`
  : html`<table>
<caption class="muted">Attempts to ${d.destination}, oldest first</caption>
<thead><tr><th scope="col">#</th><th scope="col">Started</th><th scope="col">Status</th><th scope="col" class="num">Latency</th><th scope="col">Error</th><th scope="col">Answer (first bytes)</th></tr></thead>
<tbody>${d.attempts.map((a) => html`<tr><td>${a.attempt}</td><td>${time(a.startedAt)}</td><td>${a.statusCode ?? '—'}</td><td class="num">${a.durationMs} ms</td><td>${a.error ?? ''}</td><td class="mono">${a.responseBody ?? ''}</td></tr>`)}</tbody>
</table>`}
</section>`)
  const headers = Object.entries(event.headers)
  return page(view, `Event ${event.id}`, html`
<dl class="facts">
<dt>Source</dt><dd>${event.source} <span class="muted">(${event.provider})</span></dd>
<dt>Type</dt><dd class="mono">${event.type}</dd>
<dt>Status</dt><dd id="event-status" data-live>${statusBadge(event.status)}</dd>
<dt>Received</dt><dd>${time(event.receivedAt)}</dd>
<dt>Occurred</dt><dd>${event.occurredAt ?? '—'}</dd>
<dt>Subject</dt><dd class="mono">${event.subject ?? '—'}</dd>
<dt>Dedup key</dt><dd class="mono">${event.dedupKey}</dd>
</dl>
<h2>Replay</h2>
<form method="post" action="/ui/events/${event.id}/replay" class="filters">
${csrfField(view)}
<label>Replay to<select name="destination"><option value="">every destination that takes it</option>${destinations.map((d) => html`<option value="${d}">${d} only</option>`)}</select></label>
<button type="submit" class="primary">Replay</button>
</form>
<h2>Deliveries</h2>
<div id="deliveries" data-live>${deliveries.length === 0 ? html`<p>No destination took this event.</p>` : deliveries}</div>
<h2>Headers kept for re-verification</h2>
${headers.length === 0 ? html`<p class="muted">None.</p>` : html`<table><thead><tr><th scope="col">Header</th><th scope="col">Value</th></tr></thead>
<tbody>${headers.map(([name, value]) => html`<tr><td class="mono">${name}</td><td class="mono">${value}</td></tr>`)}</tbody></table>`}
<h2>Body ${event.bodyEncoding === 'base64' ? html`<span class="muted">(not UTF-8: base64)</span>` : ''}</h2>
<p><button type="button" data-copy="event-body">Copy body</button> <span id="event-body-note" role="status"></span></p>
<pre id="event-body" tabindex="0" aria-label="Event body">${prettyBody(event.body, event.bodyEncoding)}</pre>`)
}
