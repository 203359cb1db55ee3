import type { AdminOperations } from '../../admin/operations.js'
import { html, type Html } from '../html.js'
import { actionButton, ago, page, time, type View } from '../layout.js'
import { rowCursor, type Values } from './form-values.js'
import { heldSection } from './held.js'

/** Each destination's state and numbers; pause and resume; the subjects held where one orders by subject. */
export async function destinationsPage (ops: AdminOperations, view: View, values: Values): Promise<Html> {
  const destinations = await ops.destinations()
  const ordered = destinations.some((d) => d.ordering === 'subject')
  const rows = destinations.map((d) => html`<tr>
<th scope="row">${d.name}${d.configured ? '' : html` <span class="muted">(not configured)</span>`}</th>
<td>${d.paused ? html`<span class="badge paused">paused</span> <span class="muted">since ${time(d.pausedAt)}</span>` : html`<span class="badge running">delivering</span>`}${d.breakerOpen ? html` <span class="badge breaker">breaker open</span>` : ''}</td>
<td class="num">${d.deliveredLastHour}</td><td class="num">${d.pending}</td><td class="num">${d.dead > 0 ? html`<a href="/ui/dead?destination=${d.name}">${d.dead}</a>` : '0'}</td>
<td class="num">${ago(d.oldestPendingAgeSeconds)}</td>
${ordered ? html`<td class="num">${d.ordering === 'none' ? '—' : d.heldSubjects > 0 ? html`<a href="#held-title">${d.heldSubjects}</a> <span class="muted">(${d.heldDeliveries} waiting)</span>` : '0'}</td>` : ''}
<td>${d.lastError === null ? '' : html`${d.lastError.message} <span class="muted">${time(d.lastError.at)}</span>`}</td>
<td>${!d.configured ? '' : d.paused
  ? actionButton(view, `/ui/destinations/${d.name}/resume`, 'Resume', d.name)
  : actionButton(view, `/ui/destinations/${d.name}/pause`, 'Pause', d.name)}</td></tr>`)
  return page(view, 'Destinations', html`
<p>A paused destination's deliveries wait (they do not fail or spend attempts) until it is resumed, across restarts.</p>
<div id="destinations" data-live>
<table>
<thead><tr><th scope="col">Destination</th><th scope="col">State</th><th scope="col" class="num">Delivered (1 h)</th><th scope="col" class="num">Pending</th><th scope="col" class="num">Dead</th><th scope="col" class="num">Oldest pending</th>${ordered ? html`<th scope="col" class="num">Held subjects</th>` : ''}<th scope="col">Last error</th><th scope="col">Action</th></tr></thead>
<tbody>${rows.length === 0 ? html`<tr><td colspan="8">No destination is configured.</td></tr>` : rows}</tbody>
</table>
</div>
${ordered ? await heldSection(ops, view, rowCursor(values.held)) : ''}`)
}
