import t from 'tap'
import { classify } from '../../src/destinations/http.js'
import { parseRetryAfter } from '../../src/destinations/retry-after.js'
import { errorVerdict, statusVerdict } from '../../src/destinations/retry-rules.js'

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0)
const S = 1000

t.test('a status decides by the table: exact statuses first, then the class', async (t) => {
  const verdicts = Object.fromEntries([200, 204, 299, 301, 308, 400, 401, 404, 408, 410, 413, 422, 429, 499, 500, 503, 599, 100, 600].map((s) => [s, statusVerdict(s)]))
  t.same(verdicts, {
    200: 'delivered', 204: 'delivered', 299: 'delivered',
    301: 'retry', 308: 'retry',
    400: 'final', 401: 'final', 404: 'final', 408: 'retry', 410: 'final', 413: 'final', 422: 'final', 429: 'retry', 499: 'final',
    500: 'retry', 503: 'retry', 599: 'retry',
    100: 'retry', 600: 'retry'
  })
})

t.test('a client error code the HTTP client refuses is final; every other error retries', async (t) => {
  t.equal(errorVerdict('UND_ERR_INVALID_ARG'), 'final')
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ERROR']) t.equal(errorVerdict(code), 'retry', code)
})

t.test('an answer becomes the outcome its verdict says, with Retry-After as a floor on a retry', async (t) => {
  t.same(classify(204, undefined, '', NOW), { ok: true, status: 204, response: '' })
  t.same(classify(410, undefined, 'bye', NOW), { ok: false, retry: false, reason: 'HTTP 410 Gone: the receiver asked not to be sent this again', status: 410, response: 'bye' })
  t.same(classify(429, ['7', '9'], '', NOW), { ok: false, retry: true, reason: 'HTTP 429', status: 429, response: '', retryAfterMs: 7 * S }, 'the first of repeated headers')
  t.same(classify(302, undefined, '', NOW), { ok: false, retry: true, reason: 'HTTP 302: redirects are not followed', status: 302, response: '' })
})

t.test('reads Retry-After in seconds or as an HTTP date', async (t) => {
  t.equal(parseRetryAfter('120', NOW), 120 * S)
  t.equal(parseRetryAfter(' 3 ', NOW), 3 * S)
  t.equal(parseRetryAfter(new Date(NOW + 90 * S).toUTCString(), NOW), 90 * S)
  t.equal(parseRetryAfter(new Date(NOW - 90 * S).toUTCString(), NOW), 0, 'a date already past')
  t.equal(parseRetryAfter('soon', NOW), 0)
  t.equal(parseRetryAfter('-5', NOW), 0)
  t.equal(parseRetryAfter(undefined, NOW), 0)
})
