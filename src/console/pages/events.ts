import type { AdminOperations } from '../../admin/operations.js'
import { EVENT_STATUSES } from '../../admin/schemas.js'
import { html, query, type Html } from '../html.js'
import { page, statusBadge, time, type View } from '../layout.js'
import { eventCursor, oneOf, text, timeInput, utcTime, type Values } from './form-values.js'

const PAGE_SIZE = 50

/** Newest first, keyset-paged; filters for source, type glob, status, time range, and an id or dedup key. */
export async function eventsPage (ops: AdminOperations, view: View, values: Values, sources: readonly string[]): Promise<Html> {
  const filter = {
    source: oneOf(values.source, sources),
    typeGlob: text(values.type),
    status: oneOf(values.status, EVENT_STATUSES),
    since: utcTime(values.since),
    until: utcTime(values.until),
    search: text(values.q)
  }
  const cursor = eventCursor(values.cursor)
  const result = await ops.listEvents({ ...filter, cursor, limit: PAGE_SIZE })
  const kept = { source: filter.source, type: filter.typeGlob, status: filter.status, since: timeInput(filter.since), until: timeInput(filter.until), q: filter.search }
  const option = (value: string, selected: string | undefined, label = value) => html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`
  const rows = result.items.map((e) => html`<tr>
<td>${time(e.receivedAt)}</td><td>${e.source}</td><td class="mono">${e.type}</td><td>${statusBadge(e.status)}</td>
<td><a class="mono" href="/ui/events/${e.id}">${e.id}</a></td><td class="mono">${e.dedupKey}</td></tr>`)
  return page(view, 'Events', html`
<form class="filters" method="get" action="/ui/events" role="search" aria-label="Filter events">
<label>Source<select name="source">${option('', filter.source, 'any')}${sources.map((s) => option(s, filter.source))}</select></label>
<label>Type (glob)<input name="type" value="${kept.type}" placeholder="user.*" maxlength="200"></label>
<label>Status<select name="status">${option('', filter.status, 'any')}${EVENT_STATUSES.map((s) => option(s, filter.status))}</select></label>
<label>From (UTC)<input type="datetime-local" name="since" value="${kept.since}"></label>
<label>Until (UTC)<input type="datetime-local" name="until" value="${kept.until}"></label>
<label>Event id or dedup key<input name="q" value="${kept.q}" maxlength="200"></label>
<button type="submit" class="primary">Filter</button> <a href="/ui/events">Clear</a>
</form>
<div id="events" data-live>
<table>
<caption class="muted">${result.items.length === 0 ? 'No event matches.' : `${result.items.length} events${cursor === undefined ? ', newest first' : ', older page'}`}</caption>
<thead><tr><th scope="col">Received</th><th scope="col">Source</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Event</th><th scope="col">Dedup key</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</div>
<p class="pager">${cursor === undefined ? '' : html`<a href="/ui/events${query(kept)}">Newest</a> · `}${result.nextCursor === null ? '' : html`<a href="/ui/events${query({ ...kept, cursor: result.nextCursor })}" rel="next">Older events</a>`}</p>`)
}
