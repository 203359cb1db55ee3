import { html, raw, type Html } from './html.js'

/**
 * Small inline SVG charts (no script, no library): the numbers are also in
 * the text beside each, so the chart is a glance and the label says it all
 * for a screen reader.
 */

/** Stacked bars, one per bucket: accepted below, rejected on top. */
export function trafficBars (accepted: readonly number[], rejected: readonly number[], label: string): Html {
  const width = 288
  const height = 48
  const step = width / Math.max(1, accepted.length)
  const peak = Math.max(1, ...accepted.map((a, i) => a + (rejected[i] ?? 0)))
  const scale = (n: number) => (n / peak) * (height - 2)
  let bars = ''
  accepted.forEach((a, i) => {
    const r = rejected[i] ?? 0
    const x = (i * step + 1).toFixed(1)
    const w = Math.max(1, step - 2).toFixed(1)
    if (a > 0) bars += `<rect class="accepted" x="${x}" y="${(height - scale(a)).toFixed(1)}" width="${w}" height="${scale(a).toFixed(1)}"/>`
    if (r > 0) bars += `<rect class="rejected" x="${x}" y="${(height - scale(a) - scale(r)).toFixed(1)}" width="${w}" height="${scale(r).toFixed(1)}"/>`
  })
  return html`<svg class="chart" viewBox="0 0 ${width} ${height + 1}" role="img" aria-label="${label}"><line class="axis" x1="0" y1="${height + 0.5}" x2="${width}" y2="${height + 0.5}"/>${raw(bars)}</svg>`
}

/** One horizontal bar split into delivered (last hour), pending and dead. */
export function queueBar ({ delivered, pending, dead }: { delivered: number, pending: number, dead: number }, label: string): Html {
  const width = 288
  const total = delivered + pending + dead
  let x = 0
  let parts = ''
  for (const [n, cls] of [[delivered, 'deliveredbar'], [pending, 'pendingbar'], [dead, 'deadbar']] as const) {
    if (n === 0) continue
    const w = (n / total) * width
    parts += `<rect class="${cls}" x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="16"/>`
    x += w
  }
  if (total === 0) parts = `<rect class="axis" x="0" y="7" width="${width}" height="2"/>`
  return html`<svg class="chart" viewBox="0 0 ${width} 16" role="img" aria-label="${label}">${raw(parts)}</svg>`
}
