// The ordered-delivery section of bench/results/latest.md (bench/ordering.ts measures it).
import type { OrderingFigures, OrderingRound } from './ordering.js'
import { addCpu, cpuUse } from './cpu.js'
import { int, times, type TargetVerdict } from './targets.js'

/** Issue 16's target: ordered delivers at least this share of what unordered does. */
export const ORDERING_TARGET = 0.8

/** Pooled over rounds: events delivered over the seconds they took. */
export const deliveredPerSecond = (rounds: readonly OrderingRound[] = []): number =>
  rounds.reduce((n, r) => n + r.delivered, 0) / rounds.reduce((s, r) => s + r.seconds, 0)

/** The report's lines: how it was measured, both figures, and the ratio against the target. */
export function orderingLines (figures: OrderingFigures | undefined): string[] {
  if (figures === undefined) return ['- Not run.']
  if (figures.skipped !== undefined) return [`- Skipped: ${figures.skipped}.`]
  const a = deliveredPerSecond(figures.unordered)
  const b = deliveredPerSecond(figures.ordered)
  const perRound = (rounds: readonly OrderingRound[] = []) => rounds.map((r) => int(r.delivered / r.seconds)).join(', ')
  const cpu = (rounds: readonly OrderingRound[] = []) => {
    const use = cpuUse(addCpu(rounds.map((r) => r.cpu)))
    return `gateway CPU ${use.perRequestUs.total.toFixed(0)} µs per event (event loop ${use.perRequestUs.main.toFixed(0)} + writer ${use.perRequestUs.busiestOther.toFixed(0)} + rest ${use.perRequestUs.rest.toFixed(0)}), other processes ${use.foreign.toFixed(0)}% of a core`
  }
  return [
    `- ${figures.rounds ?? '?'} interleaved rounds (a b b a) of ${int(figures.events ?? NaN)} Clerk events per gateway about ${int(figures.subjects ?? NaN)} users in turn, at ${figures.connections ?? '?'} connections (closed loop), to a fresh gateway each (same receiver; default concurrency).`,
    `- Unordered destination: **${int(a)} delivered events/s** (rounds ${perRound(figures.unordered)}); ${cpu(figures.unordered)}.`,
    `- \`ordering: subject\`: **${int(b)} delivered events/s** (rounds ${perRound(figures.ordered)}); ${cpu(figures.ordered)}; ${int(figures.orderedKeys ?? NaN)} deliveries in subject lines.`,
    `- Ordered ÷ unordered: **${times(b / a)}** (target ≥ ${ORDERING_TARGET}×: ${orderingTarget(figures).verdict}).`
  ]
}

/** The target's row: ordered ÷ unordered delivered events/s. */
export function orderingTarget (figures: OrderingFigures | undefined): TargetVerdict {
  const ratio = figures?.ordered === undefined ? undefined : deliveredPerSecond(figures.ordered) / deliveredPerSecond(figures.unordered)
  return {
    target: `ordering: subject over ${int(figures?.subjects ?? 1000)} subjects: delivered events/s ≥ ${ORDERING_TARGET}× the unordered destination`,
    measured: ratio === undefined ? '–' : `${times(ratio)} (${int(deliveredPerSecond(figures?.ordered))} vs ${int(deliveredPerSecond(figures?.unordered))}/s)`,
    verdict: ratio === undefined ? 'n/a' : ratio >= ORDERING_TARGET ? 'PASS' : 'MISS'
  }
}
