// Runs hookgate itself from its build (dist/src/main.js), on a fresh database
// in its own temp directory, with the config the bench needs.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, startServer, type ServerProcess } from './server-process.js'

export const HOOKGATE_MAIN = 'dist/src/main.js'

export interface HookgateSecrets {
  clerk: string
  chaindoc: string
}

export interface HookgateOptions {
  name: string
  parentDir: string
  secrets: HookgateSecrets
  /** Where events are forwarded; none when absent. */
  destinationUrl?: string
  /** More settings of that destination (the ordering round's `ordering: subject`). */
  destination?: Record<string, unknown>
  /** Extra node flags for the child, e.g. --cpu-prof. */
  nodeFlags?: readonly string[]
  /** Cores it may run on, as a taskset list (default: the server core). */
  cores?: string | undefined
  /** storage settings over the default (a SQLite file in its directory): the PostgreSQL round's driver and url. */
  storage?: Record<string, unknown>
}

export function hookgateBuilt (): boolean {
  return existsSync(HOOKGATE_MAIN)
}

export async function startHookgate (options: HookgateOptions): Promise<ServerProcess & { dbPath: string }> {
  const dir = mkdtempSync(join(options.parentDir, 'hookgate-'))
  const port = await freePort()
  const dbPath = join(dir, 'hookgate.db')
  const config = {
    server: { host: '127.0.0.1', port, bodyLimitBytes: 1024 * 1024 },
    storage: { path: dbPath, ...options.storage },
    sources: {
      clerk: { provider: 'clerk', secret: options.secrets.clerk, toleranceSeconds: 300 },
      chaindoc: { provider: 'chaindoc', secret: options.secrets.chaindoc }
    },
    destinations: options.destinationUrl === undefined
      ? {}
      : { receiver: { url: options.destinationUrl, format: 'cloudevents', ...options.destination } },
    // Per-request info logs would be measured too; the baselines log nothing.
    logging: { level: 'warn' }
  }
  const configPath = join(dir, 'config.yaml')
  // JSON is YAML 1.2: no YAML writer needed.
  writeFileSync(configPath, JSON.stringify(config, null, 2))
  const server = await startServer({
    name: options.name,
    args: [...(options.nodeFlags ?? []), HOOKGATE_MAIN, 'start', '--config', configPath],
    port,
    ...(options.cores === undefined ? {} : { core: options.cores })
  })
  return { ...server, dbPath }
}
