import { buildApp } from '../app.js'
import { loadConfig, summarize } from '../config/load.js'
import { HG_ERR_LISTEN_FAILED } from '../errors.js'
import { configOption, configPath, parse } from './args.js'

/**
 * Runs the gateway until SIGTERM or SIGINT, then closes gracefully: stop
 * accepting, let in-flight requests and deliveries settle within the grace
 * period, close the database, exit 0. As PID 1 in a container nothing else
 * handles these signals, so this is what makes `docker stop` clean.
 */
export async function startCommand (argv: string[]): Promise<number> {
  const { values } = parse(argv, configOption)
  const config = await loadConfig(configPath(values))
  // Nothing touches deliveries before the server listens: see the end.
  // A writer that keeps dying leaves a gateway that can only refuse: exit, so the supervisor (compose, systemd) starts a fresh one.
  const app = await buildApp(config, { startDispatcher: true, deferStart: true, onWriterFatal: () => process.exit(70) })
  app.log.info({ summary: summarize(config) }, 'configuration loaded')
  if (config.admin.token === undefined) app.log.warn('admin.token is not set: the admin API is off')

  let closing: Promise<number> | undefined
  const close = (signal: string): Promise<number> => {
    if (closing !== undefined) {
      app.log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    app.log.info({ signal, graceMs: config.server.shutdownGraceMs }, 'shutting down')
    const timer = setTimeout(() => {
      app.log.error('grace period over before everything settled: exiting')
      process.exit(1)
    }, config.server.shutdownGraceMs)
    timer.unref()
    closing = app.close().then(() => {
      clearTimeout(timer)
      app.log.info('closed cleanly')
      return 0
    })
    return closing
  }

  const stopped = new Promise<number>((resolve) => {
    process.once('SIGTERM', () => { close('SIGTERM').then(resolve, () => resolve(1)) })
    process.once('SIGINT', () => { close('SIGINT').then(resolve, () => resolve(1)) })
  })
  try {
    await app.listen({ host: config.server.host, port: config.server.port })
  } catch (err) {
    // A second gateway on a taken port: close what buildApp opened and exit, never deliver for the one that runs.
    await app.close().catch(() => {})
    throw new HG_ERR_LISTEN_FAILED(`${config.server.host}:${config.server.port}`, listenReason(err))
  }
  await app.hookgate.begin()
  return stopped
}

function listenReason (err: unknown): string {
  const code = (err as { code?: unknown }).code
  if (code === 'EADDRINUSE') return 'the address is in use (is a gateway already running? stop it first, or set server.port)'
  if (code === 'EACCES') return 'permission denied (ports below 1024 need privileges; set server.port)'
  if (code === 'EADDRNOTAVAIL') return 'no such address on this machine (set server.host)'
  return err instanceof Error ? err.message : String(err)
}
