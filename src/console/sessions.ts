import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../clock.js'

export interface Session {
  readonly id: string
  /** The synchronizer token every form of this session carries. */
  readonly csrf: string
  readonly expiresAt: number
  /** One message for the next page (after an action's redirect), then gone. */
  flash?: { readonly kind: 'ok' | 'error', readonly text: string }
}

/** Sessions kept at most: sign-ins are throttled, but memory must stay bounded anyway. */
const MAX_SESSIONS = 1000

const token = (): string => randomBytes(32).toString('base64url')

export function tokensEqual (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Console sessions, in this process's memory: random ids (256 bits) the
 * cookie carries, so the admin token itself never goes back to the browser.
 * A restart signs everyone out, and two replicas would not share them; the
 * README says so (one gateway per database file anyway: the instance lock).
 */
export function createSessions (clock: Clock, ttlMs: number) {
  const sessions = new Map<string, Session>()

  function sweep (now: number): void {
    for (const [id, session] of sessions) if (session.expiresAt <= now) sessions.delete(id)
    // Still full: the oldest goes (Map keeps insertion order).
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string)
  }

  return {
    ttlMs,
    open (): Session {
      const now = clock.now()
      if (sessions.size >= MAX_SESSIONS) sweep(now)
      const session: Session = { id: token(), csrf: token(), expiresAt: now + ttlMs }
      sessions.set(session.id, session)
      return session
    },
    find (id: string | undefined): Session | undefined {
      if (id === undefined) return undefined
      const session = sessions.get(id)
      if (session === undefined) return undefined
      if (session.expiresAt > clock.now()) return session
      sessions.delete(id)
      return undefined
    },
    close (id: string): void { sessions.delete(id) }
  }
}

export type Sessions = ReturnType<typeof createSessions>
