import type { DestinationFigures, PauseState, QueueDepth } from '../../store/contract.js'

/** The newest failed attempt's trace on a destination's deliveries, as both adapters read it. */
export interface LastErrorRow { last_error: string, last_status: number | null, updated_at: number }

/** One destination's line of GET /admin/destinations, from what each adapter read. */
export function figuresOf (name: string, depth: QueueDepth | undefined, state: PauseState | undefined, delivered: number, error: LastErrorRow | undefined): DestinationFigures {
  return {
    name,
    ...(depth ?? { pending: 0, dead: 0, oldestPendingSince: null }),
    paused: state?.paused ?? false,
    pausedAt: state?.pausedAt ?? null,
    deliveredSince: delivered,
    lastError: error === undefined ? null : { message: error.last_error, status: error.last_status, at: error.updated_at }
  }
}
