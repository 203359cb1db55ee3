import { randomFillSync } from 'node:crypto'

const RANDOM_BYTES = 10
/**
 * Random bytes are drawn 4 KiB at a time: one CSPRNG call per event costs
 * more than the rest of the id. Each id still gets fresh bytes that are never
 * reused.
 */
const pool = Buffer.alloc(4096 - (4096 % RANDOM_BYTES))
let offset = pool.length

/**
 * Gateway event ids sort by time (the admin API pages by id): 9 base-36 digits
 * of milliseconds, then 80 random bits so two gateways never collide.
 */
export function newEventId (now: number): string {
  if (offset === pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const random = pool.toString('base64url', offset, offset + RANDOM_BYTES)
  offset += RANDOM_BYTES
  return eventIdFloor(now) + random
}

/**
 * The smallest id an event received at `ms` or later can have: ids sort by
 * receipt time, so `id >= eventIdFloor(t)` selects events received at t or
 * after, through the primary key.
 */
export function eventIdFloor (ms: number): string {
  return 'evt_' + Math.floor(Math.max(0, ms)).toString(36).padStart(9, '0')
}
