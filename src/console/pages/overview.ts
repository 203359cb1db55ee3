import type { AdminOperations } from '../../admin/operations.js'
import { queueBar, trafficBars } from '../charts.js'
import { html, type Html } from '../html.js'
import { ago, page, type View } from '../layout.js'

const sum = (counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0)

/** Is anything stuck? Traffic per source over a day (hourly), and each destination's queue. */
export async function overviewPage (ops: AdminOperations, view: View): Promise<Html> {
  const [traffic, destinations] = await Promise.all([ops.traffic(24), ops.destinations()])
  const sources = traffic.map(({ source, accepted, rejected, lastHour: hour }) => {
    const day = { accepted: sum(accepted), rejected: sum(rejected) }
    return html`<section class="card" aria-labelledby="src-${source}">
<h3 id="src-${source}">${source}</h3>
${trafficBars(accepted, rejected, `${source}: ${day.accepted} accepted and ${day.rejected} rejected in the last 24 clock hours, hour by hour`)}
<dl>
<dt></dt><dd class="muted">last hour</dd><dd class="muted">24 clock hours</dd>
<dt>received</dt><dd data-figure="${source}-received-hour">${hour.accepted + hour.rejected}</dd><dd data-figure="${source}-received-day">${day.accepted + day.rejected}</dd>
<dt>accepted</dt><dd data-figure="${source}-accepted-hour">${hour.accepted}</dd><dd data-figure="${source}-accepted-day">${day.accepted}</dd>
<dt>rejected</dt><dd data-figure="${source}-rejected-hour">${hour.rejected}</dd><dd data-figure="${source}-rejected-day"><a href="/ui/rejections?source=${source}">${day.rejected}</a></dd>
</dl>
</section>`
  })
  const queues = destinations.map((d) => html`<section class="card" aria-labelledby="dst-${d.name}">
<h3 id="dst-${d.name}">${d.name} ${d.paused ? html`<span class="badge paused">paused</span>` : ''} ${d.breakerOpen ? html`<span class="badge breaker">breaker open</span>` : ''}</h3>
${queueBar({ delivered: d.deliveredLastHour, pending: d.pending, dead: d.dead }, `${d.name}: ${d.deliveredLastHour} delivered in the last hour, ${d.pending} pending, ${d.dead} dead`)}
<dl>
<dt>delivered (1 h)</dt><dd data-figure="${d.name}-delivered">${d.deliveredLastHour}</dd><dd></dd>
<dt>pending</dt><dd data-figure="${d.name}-pending">${d.pending}</dd><dd></dd>
<dt>dead</dt><dd data-figure="${d.name}-dead">${d.dead > 0 ? html`<a href="/ui/dead?destination=${d.name}">${d.dead}</a>` : '0'}</dd><dd></dd>
<dt>oldest pending</dt><dd data-figure="${d.name}-oldest">${ago(d.oldestPendingAgeSeconds)}</dd><dd></dd>
${d.ordering === 'none' ? '' : html`<dt>held subjects</dt><dd data-figure="${d.name}-held">${d.heldSubjects > 0 ? html`<a href="/ui/destinations#held-title">${d.heldSubjects}</a>` : '0'}</dd><dd></dd>`}
</dl>
${d.lastError === null ? '' : html`<p class="muted">Last error: ${d.lastError.message}</p>`}
</section>`)
  return page(view, 'Overview', html`
<div id="overview" data-live>
<h2>Sources</h2>
<p class="legend"><span class="l-acc">accepted</span> <span class="l-rej">rejected</span> · per clock hour, the last 24 (UTC)</p>
<div class="cards">${sources}</div>
<h2>Destinations</h2>
<p class="legend"><span class="l-acc">delivered (last hour)</span> <span class="l-pen">pending</span> <span class="l-dead">dead</span></p>
<div class="cards">${queues.length === 0 ? html`<p>No destination is configured.</p>` : queues}</div>
</div>`)
}
