// One paced run through a gateway with a destination: every acknowledgement
// timed by the sender, every first arrival by the receiver, matched by the
// gateway event id. Shared by the end-to-end phases.
import { setTimeout as sleep } from 'node:timers/promises'
import { withCpu, type CpuSample } from './cpu.js'
import { paced, type LoadResult } from './load.js'
import type { Receiver } from './receiver-process.js'
import type { SignedRequest } from './requests.js'
import type { ServerProcess } from './server-process.js'

/** Polls until the receiver holds `expected` distinct events, or the time is up. */
export async function waitForCount (receiver: Receiver, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let count = await receiver.count()
  while (count < expected && Date.now() < deadline) {
    await sleep(50)
    count = await receiver.count()
  }
  return count
}

/**
 * Then until nothing new arrives for `quietMs`: requests in flight when the
 * load stopped were stored and are delivered too, though no client saw their 200.
 */
export async function waitForQuiet (receiver: Receiver, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let count = await receiver.count()
  let changedAt = Date.now()
  while (Date.now() - changedAt < quietMs && Date.now() < deadline) {
    await sleep(100)
    const now = await receiver.count()
    if (now !== count) changedAt = Date.now()
    count = now
  }
}

function idFromAck (body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id
    return typeof id === 'string' ? id : undefined
  } catch {
    return undefined
  }
}

export interface AckRun {
  ingest: LoadResult
  /** Per delivered event: when its 200 came back (ms since the first request was due) and ack → delivery in ms, in ack order. */
  deliveries: Array<{ ackedAtMs: number, latencyMs: number }>
  /** Acknowledged but not at the receiver within `deliveryTimeoutMs`. */
  undelivered: number
  /** The gateway's CPU from the first request to the last delivery. */
  cpu: CpuSample
}

/**
 * Sends `requests` at `ratePerSecond`, waits for their deliveries, and times
 * each. The sender does not spin: the receiver shares its core and must not
 * wait for a time slice.
 */
export async function ackRun (gateway: ServerProcess, receiver: Receiver, requests: readonly SignedRequest[], ratePerSecond: number, connections: number, deliveryTimeoutMs = 15_000): Promise<AckRun> {
  await receiver.reset()
  const ackedAt = new Map<string, number>()
  const startMs = performance.timeOrigin + performance.now()
  const [ingest, cpu] = await withCpu(gateway, async () => {
    const load = await paced(gateway.baseUrl, requests, {
      ratePerSecond,
      connections,
      spin: false,
      onAck: (body, atMs) => { const id = idFromAck(body); if (id !== undefined) ackedAt.set(id, atMs) }
    })
    await waitForCount(receiver, ackedAt.size, deliveryTimeoutMs)
    await waitForQuiet(receiver, 300, 5_000)
    return load
  })
  const dump = await receiver.dump(true)
  const deliveries: AckRun['deliveries'] = []
  dump.ids?.forEach((id, i) => {
    const acked = ackedAt.get(id)
    const arrived = dump.arrivalsMs[i]
    if (acked !== undefined && arrived !== undefined) deliveries.push({ ackedAtMs: acked - startMs, latencyMs: arrived - acked })
  })
  deliveries.sort((x, y) => x.ackedAtMs - y.ackedAtMs)
  return { ingest, deliveries, undelivered: ackedAt.size - deliveries.length, cpu }
}
