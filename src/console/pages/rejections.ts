import type { AdminOperations } from '../../admin/operations.js'
import { html, query, type Html } from '../html.js'
import { page, time, type View } from '../layout.js'
import { oneOf, rowCursor, text, type Values } from './form-values.js'

const PAGE_SIZE = 50

/** Refused requests, newest first: why each was refused is the point, so the reason leads. */
export async function rejectionsPage (ops: AdminOperations, view: View, values: Values, sources: readonly string[]): Promise<Html> {
  const reason = text(values.reason)
  const filter = { source: oneOf(values.source, sources), reason: reason !== undefined && /^HG_ERR_[A-Z_]+$/.test(reason) ? reason : undefined }
  const cursor = rowCursor(values.cursor)
  const result = await ops.listRejections({ ...filter, cursor, limit: PAGE_SIZE })
  const option = (value: string, label = value) => html`<option value="${value}"${value === (filter.source ?? '') ? html` selected` : ''}>${label}</option>`
  const rows = result.items.map((r) => html`<tr>
<td>${time(r.receivedAt)}</td><td>${r.source}</td><td><code>${r.reason}</code></td><td>${r.statusCode}</td><td>${r.message}</td><td class="mono">${r.remoteAddr ?? '—'}</td>
<td><details><summary>Headers and body</summary>
<table><tbody>${Object.entries(r.headers).map(([name, value]) => html`<tr><th scope="row" class="mono">${name}</th><td class="mono">${value}</td></tr>`)}</tbody></table>
<pre>${r.body ?? '(refused before the body was read)'}</pre>${r.bodyTruncated ? html`<p class="muted">First 64 KiB of ${r.bodyBytes} bytes.</p>` : ''}
</details></td></tr>`)
  return page(view, 'Rejections', html`
<form class="filters" method="get" action="/ui/rejections" aria-label="Filter rejections">
<label>Source<select name="source">${option('', 'any')}${sources.map((s) => option(s))}</select></label>
<label>Reason code<input name="reason" value="${filter.reason}" placeholder="HG_ERR_SIGNATURE_INVALID" maxlength="200"></label>
<button type="submit" class="primary">Filter</button> <a href="/ui/rejections">Clear</a>
</form>
<div id="rejections" data-live>
<table>
<caption class="muted">${result.items.length === 0 ? 'No rejection matches.' : `${result.items.length} rejections, newest first`}</caption>
<thead><tr><th scope="col">Received</th><th scope="col">Source</th><th scope="col">Reason</th><th scope="col">Status</th><th scope="col">Message</th><th scope="col">Remote address</th><th scope="col">Request</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</div>
<p class="pager">${result.nextCursor === null ? '' : html`<a href="/ui/rejections${query({ ...filter, cursor: result.nextCursor })}" rel="next">Older</a>`}</p>`)
}
