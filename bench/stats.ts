// Exact percentiles over recorded samples (autocannon's own histogram keeps
// whole milliseconds, too coarse for sub-millisecond answers).

/** `sorted` ascending; nearest-rank percentile, NaN when empty. */
export function percentile (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? NaN
}

export interface LatencySummary {
  count: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

export function summarise (samplesMs: number[]): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort()
  const list = Array.from(sorted)
  return { count: list.length, p50Ms: percentile(list, 50), p99Ms: percentile(list, 99), maxMs: list[list.length - 1] ?? NaN }
}
