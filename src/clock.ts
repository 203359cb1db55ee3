/** Time as the gateway sees it. Tests inject their own; nothing reads Date.now() directly. */
export interface Clock {
  now (): number
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() })

export const SECOND = 1000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
