// Starts bench/receiver.ts (built) as a child on the load core and talks to it over IPC.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { LOAD_CORE, pinnedCommand } from './machine.js'
import type { ReceiverCommand, ReceiverDump } from './receiver.js'
import { freePort } from './server-process.js'

export interface Receiver {
  readonly url: string
  reset (): Promise<void>
  dump (withIds: boolean): Promise<ReceiverDump>
  /** Distinct ids received so far. */
  count (): Promise<number>
  stop (): Promise<void>
}

export async function startReceiver (): Promise<Receiver> {
  const port = await freePort()
  const [command, argv] = pinnedCommand(LOAD_CORE, [process.execPath, 'dist/bench/receiver.js'])
  const child = spawn(command, argv, { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = once(child, 'exit')
  await Promise.race([once(child, 'message'), exited.then(() => { throw new Error('receiver exited before it was ready') })])

  async function ask<T> (command: ReceiverCommand): Promise<T> {
    const reply = once(child, 'message')
    child.send(command)
    const [message] = await reply
    return message as T
  }
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    reset: async () => { await ask({ cmd: 'reset' }) },
    dump: (withIds) => ask<ReceiverDump>({ cmd: 'dump', withIds }),
    count: async () => (await ask<{ count: number }>({ cmd: 'count' })).count,
    stop: async () => {
      if (child.exitCode !== null) return
      child.disconnect()
      await exited
    }
  }
}
