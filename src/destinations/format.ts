import type { OutgoingEvent } from './types.js'

export type Format = 'cloudevents' | 'raw'

export interface Formatted {
  readonly body: Buffer
  readonly headers: Readonly<Record<string, string>>
}

/** The body and content headers an event leaves in; signing and static headers come on top. */
export function formatEvent (event: OutgoingEvent, format: Format): Formatted {
  return format === 'raw' ? formatRaw(event) : formatCloudEvent(event)
}

/**
 * CloudEvents 1.0 structured mode (JSON event format). `data` is the stored
 * body spliced in as it is: it is JSON already (providers refuse anything
 * else), and re-serializing would cost a parse and could change numbers or
 * key order the sender signed. `provider` and `dedupkey` are extensions,
 * named in lower-case alphanumerics as the spec requires
 * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#attribute-naming-convention).
 */
export function formatCloudEvent (event: OutgoingEvent): Formatted {
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: event.id,
    source: `/sources/${event.source}`,
    type: event.type,
    time: eventTime(event),
    ...(event.subject === null ? {} : { subject: event.subject }),
    datacontenttype: 'application/json',
    provider: event.provider,
    dedupkey: event.dedupKey
  }
  const head = JSON.stringify(attributes)
  const body = Buffer.concat([Buffer.from(head.slice(0, -1) + ',"data":'), withoutBom(event.body), Buffer.from('}')])
  return { body, headers: { 'content-type': 'application/cloudevents+json' } }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/**
 * A body that starts with a UTF-8 byte order mark is verified and stored as
 * received (the signature covers the mark), and its JSON is read without it,
 * as the svix and standardwebhooks libraries do (their TextDecoder drops it).
 * Inside a CloudEvent the mark would make `data` invalid JSON, so it goes;
 * the raw format forwards the bytes as signed, mark included.
 */
function withoutBom (body: Uint8Array): Uint8Array {
  return body.length >= 3 && BOM.equals(body.subarray(0, 3)) ? body.subarray(3) : body
}

/** The provider's bytes untouched; what the gateway knows travels in headers. */
export function formatRaw (event: OutgoingEvent): Formatted {
  return {
    body: Buffer.from(event.body.buffer, event.body.byteOffset, event.body.byteLength),
    headers: {
      'content-type': 'application/json',
      'hookgate-event-id': event.id,
      'hookgate-source': event.source,
      'hookgate-provider': event.provider,
      'hookgate-event-type': headerSafe(event.type)
    }
  }
}

/** RFC 3339, as CloudEvents requires: the provider's time when it parses, else when we received it. */
function eventTime (event: OutgoingEvent): string {
  const at = event.occurredAt === null ? Number.NaN : Date.parse(event.occurredAt)
  return new Date(Number.isNaN(at) ? event.receivedAt : at).toISOString()
}

/** Event types are the provider's text: percent-encode anything a header value cannot carry. */
function headerSafe (value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value)
}
