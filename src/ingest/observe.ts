import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config/load.js'
import { toGatewayError } from '../http-errors.js'
import { UNKNOWN_SOURCE, type Metrics } from '../metrics/metrics.js'
import type { Refusal } from './rejections.js'

/**
 * Hooks that watch /webhooks/:source answers: count each by source and
 * outcome, time it, and hand refusals (any 4xx) to the rejection recorder.
 * They run on onResponse, after the answer has gone, so none of this can
 * delay or fail it.
 */
export function observeIngest ({ config, metrics, recordRejection }: {
  config: Config
  metrics: Metrics
  recordRejection: (refusal: Refusal) => void
}) {
  // The message answered, kept from onError: onResponse no longer sees the error.
  const messages = new WeakMap<FastifyRequest, string>()

  function onError (request: FastifyRequest, _reply: FastifyReply, err: FastifyError, done: () => void): void {
    if (request.webhook !== undefined) messages.set(request, toGatewayError(err, config.server.bodyLimitBytes).message)
    done()
  }

  // Callback form, not async: this runs for every request, and a promise per request is measurable.
  function onResponse (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    done()
    const webhook = request.webhook
    if (webhook === undefined) return
    const source = Object.hasOwn(config.sources, webhook.source) ? webhook.source : UNKNOWN_SOURCE
    const outcome = webhook.outcome ?? `http_${reply.statusCode}`
    metrics.received.inc({ source, outcome })
    metrics.ingestSeconds.observe({ source }, reply.elapsedTime / 1000)
    if (reply.statusCode < 400 || reply.statusCode >= 500) return
    recordRejection({
      source: webhook.source,
      reason: outcome,
      statusCode: reply.statusCode,
      message: messages.get(request) ?? '',
      remoteAddr: request.ip ?? null,
      headers: request.headers,
      body: request.body
    })
  }

  return { onError, onResponse }
}
