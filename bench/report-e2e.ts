// The end-to-end section of bench/results/latest.md.
import { cpuUse } from './cpu.js'
import type { BenchReport } from './report.js'
import { INGEST_P99_BOUND_MS, SUSTAINED_P99_MS, type RateStep } from './sustained.js'
import { deliveryCpuFigures, int, mib, ms, serverByKey, times, type DeliveryCpu } from './targets.js'

const us = (c: DeliveryCpu): string => `${c.total.toFixed(0)} µs (${c.main.toFixed(0)} + ${c.busiestOther.toFixed(0)} + ${c.rest.toFixed(0)})`

function sustainedLines (report: BenchReport): string[] {
  const s = report.endToEnd?.sustained
  if (s === undefined) return []
  const why = (x: RateStep): string => {
    const reasons = [
      ...(x.failed + x.undelivered > 0 ? [`${x.failed} failed, ${x.undelivered} undelivered`] : []),
      ...(x.ingestP99Ms >= INGEST_P99_BOUND_MS ? [`request → ack p99 ${int(x.ingestP99Ms)} ms`] : [])
    ]
    return reasons.length > 0 ? ` ✗ (${reasons.join('; ')})` : ' ✗'
  }
  const steps = s.steps.map((x) => `${int(x.rate)}/s ${x.kind} ${ms(x.latency.p99Ms)} ms${x.pass ? '' : why(x)}`)
  const lines = [
    `- **Sustained rate** (ack → delivery p99 under ${SUSTAINED_P99_MS} ms for ${report.plan.sustainedHoldSeconds} s): **${s.rate === null ? 'none held' : `${int(s.rate)} events/s = ${times(s.rate / s.verifyOnlyRequestsPerSecond)}`}** of (b) verify-only's ${int(s.verifyOnlyRequestsPerSecond)} req/s. Steps (p99): ${steps.join('; ')}.`
  ]
  const h = s.half
  if (h !== undefined) {
    lines.push(`- At half that, ${int(h.rate)}/s for ${h.seconds} s: ack → delivery **p50 ${ms(h.latency.p50Ms)} ms, p99 ${ms(h.latency.p99Ms)} ms** (max ${ms(h.latency.maxMs)}); p99 of the first ${report.plan.halfRateWindowSeconds} s ${ms(h.firstWindowP99Ms)} ms, of the last ${ms(h.lastWindowP99Ms)} ms; undelivered ${h.undelivered}; gateway CPU ${cpuUse(h.cpu).server.toFixed(0)}% of its core.`)
  }
  return lines
}

export function endToEndLines (report: BenchReport): string[] {
  const { endToEnd: e, plan } = report
  if (e === undefined) return ['Not run: hookgate did not build.']
  if (e.skipped !== undefined) return [`Skipped: ${e.skipped}`]
  const lines: string[] = []
  if (e.fixedRate !== undefined) {
    const { ackToDelivery: d, ingest, undelivered } = e.fixedRate
    lines.push(`- At ${plan.fixedRatePerSecond} req/s for ${plan.e2eRateSeconds} s (${int(ingest.ok)} acknowledged, non-2xx ${ingest.non2xx + ingest.errors}): acknowledgement → delivery **p50 ${ms(d.p50Ms)} ms, p99 ${ms(d.p99Ms)} ms** (max ${ms(d.maxMs)} ms); undelivered after 15 s: ${undelivered}.`)
  }
  lines.push(...sustainedLines(report))
  if (e.fullLoad !== undefined) {
    const f = e.fullLoad
    lines.push(`- At full load (${plan.connections} connections, ${plan.e2eLoadSeconds} s): ingest ${int(f.ingest.requestsPerSecond)} req/s (p50 ${ms(f.ingest.latency.p50Ms)} ms, p99 ${ms(f.ingest.latency.p99Ms)} ms); **${int(f.deliveredPerSecondDuringLoad)} events/s delivered** while ingesting (**${times(f.deliveredPerSecondDuringLoad / f.ingest.requestsPerSecond)}** of ingested), ${int(f.deliveredPerSecondOverall)} events/s from the first request to the last delivery; backlog drained ${f.drainSeconds.toFixed(1)} s after the load stopped; undelivered after 30 s: ${f.undelivered}.`)
  }
  const cpu = deliveryCpuFigures(report)
  const verifyOnly = serverByKey(report, 'b')
  if (cpu.fullLoad !== undefined || cpu.fixedRate !== undefined) {
    lines.push(`- **CPU per delivered event** (the gateway with the destination minus the same gateway without, per event; event loop + busiest other thread, the SQLite writer, + rest): at full load ${cpu.fullLoad === undefined ? '–' : us(cpu.fullLoad)}; at ${plan.fixedRatePerSecond} req/s ${cpu.fixedRate === undefined ? '–' : us(cpu.fixedRate)}. Verify-only: ${verifyOnly === undefined ? '–' : `${cpuUse(verifyOnly.throughput.cpu).perRequestUs.total.toFixed(0)} µs`} per request.`)
  }
  if (e.memory !== undefined) lines.push(`- hookgate RSS after: ${mib(e.memory.rssMiB)} MiB (peak ${mib(e.memory.peakMiB)} MiB).`)
  return lines
}
