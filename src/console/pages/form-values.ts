/**
 * Reading a console form or query string: every value optional, anything
 * malformed dropped rather than refused (a person edits these by hand, and a
 * filter that cannot apply must not widen a bulk retry: callers show what
 * was applied).
 */
export type Values = Readonly<Record<string, string | undefined>>

const text = (value: string | undefined, max = 200): string | undefined => {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === '' || trimmed.length > max ? undefined : trimmed
}

export const oneOf = <T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined =>
  allowed.includes(value as T) ? value as T : undefined

/** A datetime-local value ("2026-11-23T12:00"), read as UTC like every time the console shows. */
export function utcTime (value: string | undefined): number | undefined {
  const given = text(value, 40)
  if (given === undefined || !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(given)) return undefined
  const ms = Date.parse(given + 'Z')
  return Number.isNaN(ms) ? undefined : ms
}

/** The value to put back into a datetime-local input. */
export const timeInput = (ms: number | undefined): string => ms === undefined ? '' : new Date(ms).toISOString().slice(0, 16)

export const eventCursor = (value: string | undefined): string | undefined => value !== undefined && /^evt_[0-9A-Za-z_-]{1,64}$/.test(value) ? value : undefined
export const rowCursor = (value: string | undefined): number | undefined => value !== undefined && /^[0-9]{1,15}$/.test(value) ? Number(value) : undefined

export { text }
