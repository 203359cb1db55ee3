// How long and how hard each phase runs. One literal, units in the names;
// `--quick` shortens every phase for a smoke run (its figures are not quoted).

export interface Plan {
  connections: number
  warmupSeconds: number
  /** Servers are measured in this many interleaved rounds (a, b, c, a, b, c…). */
  rounds: number
  /** Per round. */
  throughputSeconds: number
  fixedRatePerSecond: number
  /** Per round. */
  fixedRateSeconds: number
  chaindocSeconds: number
  e2eRateSeconds: number
  e2eLoadSeconds: number
  /** The sustained-rate search: each probe, and the hold that confirms a rate. */
  sustainedProbeSeconds: number
  sustainedHoldSeconds: number
  /** At half the sustained rate: how long, and the first and last windows compared. */
  halfRateSeconds: number
  halfRateWindowSeconds: number
  /** Deliveries left pending to a dead receiver before ingest is measured again. */
  deadPendingEvents: number
  /** Events per gateway in the ordered-delivery phase (bench/ordering.ts), over its rounds. */
  orderingEvents: number
  /** Requests signed per phase = observed rate × seconds × this. */
  poolHeadroom: number
  /** Warm-up requests signed per second of warm-up (the rate is not known yet). */
  warmupRateCeiling: number
}

export const FULL_PLAN: Plan = Object.freeze({
  connections: 50,
  warmupSeconds: 2,
  rounds: 3,
  throughputSeconds: 3,
  fixedRatePerSecond: 1000,
  fixedRateSeconds: 3,
  chaindocSeconds: 4,
  e2eRateSeconds: 5,
  e2eLoadSeconds: 5,
  sustainedProbeSeconds: 4,
  sustainedHoldSeconds: 30,
  halfRateSeconds: 30,
  halfRateWindowSeconds: 10,
  deadPendingEvents: 10_000,
  orderingEvents: 20_000,
  poolHeadroom: 1.6,
  warmupRateCeiling: 20_000
})

export const QUICK_PLAN: Plan = Object.freeze({
  ...FULL_PLAN,
  warmupSeconds: 1,
  rounds: 2,
  throughputSeconds: 1.5,
  fixedRateSeconds: 1.5,
  chaindocSeconds: 2,
  e2eRateSeconds: 2,
  e2eLoadSeconds: 2,
  sustainedProbeSeconds: 1.5,
  sustainedHoldSeconds: 3,
  halfRateSeconds: 3,
  halfRateWindowSeconds: 1,
  deadPendingEvents: 3000,
  orderingEvents: 4000
})
