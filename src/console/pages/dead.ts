import type { AdminOperations } from '../../admin/operations.js'
import { html, query, type Html } from '../html.js'
import { actionButton, csrfField, page, time, type View } from '../layout.js'
import { oneOf, rowCursor, timeInput, utcTime, type Values } from './form-values.js'

const PAGE_SIZE = 50

export function deadFilter (values: Values, destinations: readonly string[]) {
  return { destination: oneOf(values.destination, destinations), since: utcTime(values.since), until: utcTime(values.until) }
}

/**
 * Dead deliveries by destination; retry one, or all that match the filter.
 * "Retry all" first shows the dry-run count (?preview=1, a read) and asks
 * again with that number: a bulk retry is never one click away.
 */
export async function deadPage (ops: AdminOperations, view: View, values: Values, destinations: readonly string[]): Promise<Html> {
  const filter = deadFilter(values, destinations)
  const cursor = rowCursor(values.cursor)
  const result = await ops.listDeliveries({ status: 'dead', ...filter, cursor, limit: PAGE_SIZE })
  const kept = { destination: filter.destination, since: timeInput(filter.since), until: timeInput(filter.until) }
  const preview = values.preview === '1' ? await ops.retryDeliveries({ status: 'dead', ...filter, dryRun: true }) : undefined
  const option = (value: string, label = value) => html`<option value="${value}"${value === (filter.destination ?? '') ? html` selected` : ''}>${label}</option>`
  const rows = result.items.map((d) => html`<tr>
<td>${time(d.updatedAt)}</td><td>${d.destination}</td><td><a class="mono" href="/ui/events/${d.eventId}">${d.eventId}</a></td><td class="mono">${d.type}</td>
<td>${d.attemptCount}</td><td>${d.lastStatus ?? '—'}</td><td>${d.lastError ?? ''}</td>
<td>${actionButton(view, `/ui/deliveries/${d.id}/retry`, 'Retry', `delivery ${d.id}`, { back: `/ui/dead${query(kept)}` })}</td></tr>`)
  const scope = filter.destination === undefined ? 'every destination' : filter.destination
  return page(view, 'Dead letters', html`
<form class="filters" method="get" action="/ui/dead" aria-label="Filter dead deliveries">
<label>Destination<select name="destination">${option('', 'any')}${destinations.map((d) => option(d))}</select></label>
<label>Created from (UTC)<input type="datetime-local" name="since" value="${kept.since}"></label>
<label>Created until (UTC)<input type="datetime-local" name="until" value="${kept.until}"></label>
<button type="submit">Filter</button>
<button type="submit" name="preview" value="1" class="primary">Retry all matching…</button>
</form>
${preview === undefined ? '' : html`<section class="card" aria-labelledby="preview-title" id="preview">
<h2 id="preview-title">Retry ${preview.count} dead ${preview.count === 1 ? 'delivery' : 'deliveries'}?</h2>
<p>Dry run: <strong id="dry-run-count">${preview.count}</strong> dead ${preview.count === 1 ? 'delivery matches' : 'deliveries match'} (${scope}${filter.since === undefined ? '' : `, from ${kept.since}`}${filter.until === undefined ? '' : `, until ${kept.until}`}). Each gets a fresh retry schedule.</p>
${preview.count === 0
  ? html`<p><a href="/ui/dead${query(kept)}">Back</a></p>`
  : html`<form method="post" action="/ui/dead/retry">${csrfField(view)}
${Object.entries(kept).map(([name, value]) => value === undefined || value === '' ? '' : html`<input type="hidden" name="${name}" value="${value}">`)}
<input type="hidden" name="expected" value="${preview.count}">
<button type="submit" class="primary">Retry ${preview.count}</button> <a href="/ui/dead${query(kept)}">Cancel</a>
</form>`}
</section>`}
<div id="dead" data-live>
<table>
<caption class="muted">${result.items.length === 0 ? 'No dead delivery matches.' : `${result.items.length} dead deliveries, newest first`}</caption>
<thead><tr><th scope="col">Died</th><th scope="col">Destination</th><th scope="col">Event</th><th scope="col">Type</th><th scope="col">Attempts</th><th scope="col">Last status</th><th scope="col">Last error</th><th scope="col">Action</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</div>
<p class="pager">${result.nextCursor === null ? '' : html`<a href="/ui/dead${query({ ...kept, cursor: result.nextCursor })}" rel="next">Older</a>`}</p>`)
}
