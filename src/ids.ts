import { randomBytes } from 'node:crypto'

/**
 * Gateway event ids sort by time (the admin API pages by id): 9 base-36 digits
 * of milliseconds, then 80 random bits so two gateways never collide.
 */
export function newEventId (now: number): string {
  return 'evt_' + Math.floor(now).toString(36).padStart(9, '0') + randomBytes(10).toString('base64url')
}
