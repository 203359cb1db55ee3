import type { Db } from '../open.js'
import { prepared } from '../statements.js'
import { toPage, whereClause, type Page } from './filters.js'

export interface NewRejection {
  readonly receivedAt: number
  readonly source: string
  readonly reason: string
  readonly statusCode: number
  readonly message: string
  readonly remoteAddr: string | null
  /** JSON of the request headers, already redacted. */
  readonly headers: string
  /** The body's first bytes, or null when it was refused before being read. */
  readonly body: Uint8Array | null
  readonly bodyBytes: number | null
}

/**
 * Write op: stores one rejected request and drops the oldest beyond
 * `maxRows`. Rows are only ever deleted from the old end, so ids are dense
 * enough that "id <= newest - maxRows" is the trim: one range delete on the
 * primary key, not a count.
 */
export function recordRejection (db: Db, { rejection, maxRows }: { rejection: NewRejection, maxRows: number }): number | null {
  if (maxRows <= 0) return null
  const body = rejection.body === null ? null : Buffer.from(rejection.body.buffer, rejection.body.byteOffset, rejection.body.byteLength)
  const { lastInsertRowid } = prepared(db, `
    INSERT INTO rejections (received_at, source, reason, status_code, message, remote_addr, headers, body, body_bytes)
    VALUES (@receivedAt, @source, @reason, @statusCode, @message, @remoteAddr, @headers, @body, @bodyBytes)`)
    .run({ ...rejection, body })
  const id = Number(lastInsertRowid)
  prepared(db, 'DELETE FROM rejections WHERE id <= ?').run(id - maxRows)
  return id
}

/** Write op: deletes up to `limit` rejections received before `before`; returns how many. */
export function purgeRejections (db: Db, { before, limit }: { before: number, limit: number }): number {
  return prepared(db, `
    DELETE FROM rejections WHERE id IN (SELECT id FROM rejections WHERE received_at < ? ORDER BY received_at LIMIT ?)`)
    .run(before, limit).changes
}

export interface RejectionFilter {
  readonly source?: string | undefined
  readonly reason?: string | undefined
  readonly since?: number | undefined
  readonly until?: number | undefined
  /** The last id of the previous page. */
  readonly cursor?: number | undefined
  readonly limit: number
}

export interface RejectionRow {
  id: number
  received_at: number
  source: string
  reason: string
  status_code: number
  message: string
  remote_addr: string | null
  headers: string
  body: Buffer | null
  body_bytes: number | null
}

/** Newest first. */
export function listRejections (db: Db, filter: RejectionFilter): Page<RejectionRow> {
  const where = whereClause([
    [filter.source !== undefined, 'source = @source'],
    [filter.reason !== undefined, 'reason = @reason'],
    [filter.since !== undefined, 'received_at >= @since'],
    [filter.until !== undefined, 'received_at < @until'],
    [filter.cursor !== undefined, 'id < @cursor']
  ])
  const rows = prepared<[Record<string, unknown>], RejectionRow>(db, `SELECT * FROM rejections ${where} ORDER BY id DESC LIMIT @take`)
    .all({ ...filter, take: filter.limit + 1 })
  return toPage(rows, filter.limit, (row) => row, (row) => String(row.id))
}
