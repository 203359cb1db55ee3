import type { Clock } from '../clock.js'

/** Failed admin authentications one client address may make per window, before it is told to wait. */
export const AUTH_FAILURES_ALLOWED = 20
export const AUTH_FAILURE_WINDOW_MS = 60_000
/** Addresses remembered at most: a spread of addresses must not grow memory without end. */
const MAX_TRACKED = 10_000

interface Window { readonly startedAt: number, failures: number }

export interface AuthThrottle {
  /** Milliseconds until `address` may try again; 0 when it may now. */
  waitMs (address: string): number
  /** Counts a failed authentication from `address`. */
  failed (address: string): void
}

/**
 * Counts failed admin authentications per client address in fixed windows
 * (time from the injected clock). Only failures count, so an operator's
 * scripts are never slowed; once an address has used its failures, every
 * request from it waits for the window to end, the right token included:
 * answering a correct guess while refusing wrong ones would still let a
 * brute force tell them apart.
 */
export function createAuthThrottle (clock: Clock, allowed = AUTH_FAILURES_ALLOWED, windowMs = AUTH_FAILURE_WINDOW_MS): AuthThrottle {
  const windows = new Map<string, Window>()

  function current (address: string, now: number): Window | undefined {
    const window = windows.get(address)
    if (window === undefined || now - window.startedAt < windowMs) return window
    windows.delete(address)
    return undefined
  }

  function makeRoom (now: number): void {
    for (const [address, window] of windows) if (now - window.startedAt >= windowMs) windows.delete(address)
    // Still full: the oldest window goes (Map keeps insertion order).
    if (windows.size >= MAX_TRACKED) windows.delete(windows.keys().next().value as string)
  }

  return {
    waitMs (address) {
      const now = clock.now()
      const window = current(address, now)
      return window !== undefined && window.failures >= allowed ? window.startedAt + windowMs - now : 0
    },
    failed (address) {
      const now = clock.now()
      const window = current(address, now)
      if (window !== undefined) return void window.failures++
      if (windows.size >= MAX_TRACKED) makeRoom(now)
      windows.set(address, { startedAt: now, failures: 1 })
    }
  }
}
