import type { Page, PurgeArgs, RecordRejectionArgs, RejectionFilter, RejectionRow } from '../../../store/contract.js'
import type { Db } from '../open.js'
import { prepared } from '../statements.js'
import { rejectionWhere, toPage } from '../../shared/filters.js'

/** What a row costs, as the byte cap counts it. length() of a blob reads no overflow page. */
const ROW_BYTES = 'COALESCE(length(body), 0) + octet_length(headers) + octet_length(message)'
const TOTAL_KEY = 'rejection_bytes'

/**
 * The running total of ROW_BYTES over the table, kept in `meta` so the cap
 * costs no scan per insert; counted once when absent (a database from before
 * the cap). Every delete below subtracts what it removed.
 */
function storedBytes (db: Db): number {
  const row = prepared<[string], { value: string }>(db, 'SELECT value FROM meta WHERE key = ?').get(TOTAL_KEY)
  if (row !== undefined) return Number(row.value)
  return prepared<[], { total: number }>(db, `SELECT COALESCE(SUM(${ROW_BYTES}), 0) AS total FROM rejections`).get()!.total
}

function setStoredBytes (db: Db, total: number): void {
  prepared(db, 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(TOTAL_KEY, String(Math.max(0, total)))
}

/** Deletes the rows with id <= `upTo`, returning the bytes they held. */
function deleteUpTo (db: Db, upTo: number): number {
  let freed = 0
  for (const row of prepared<[number], { bytes: number }>(db, `DELETE FROM rejections WHERE id <= ? RETURNING ${ROW_BYTES} AS bytes`).all(upTo)) freed += row.bytes
  return freed
}

/**
 * Write op: stores one rejected request and drops the oldest beyond
 * `maxRows` rows or `maxBytes` bytes. Rows are only ever deleted from the
 * old end, so ids are dense enough that "id <= newest - maxRows" is the row
 * trim: one range delete on the primary key, not a count. The byte trim
 * walks from the oldest row until enough is freed (one row, usually).
 */
export function recordRejection (db: Db, { rejection, maxRows, maxBytes }: RecordRejectionArgs): number | null {
  if (maxRows <= 0) return null
  const body = rejection.body === null ? null : Buffer.from(rejection.body.buffer, rejection.body.byteOffset, rejection.body.byteLength)
  let total = storedBytes(db)
  const { lastInsertRowid } = prepared(db, `
    INSERT INTO rejections (received_at, source, reason, status_code, message, remote_addr, headers, body, body_bytes)
    VALUES (@receivedAt, @source, @reason, @statusCode, @message, @remoteAddr, @headers, @body, @bodyBytes)`)
    .run({ ...rejection, body })
  const id = Number(lastInsertRowid)
  total += (body?.length ?? 0) + Buffer.byteLength(rejection.headers) + Buffer.byteLength(rejection.message)
  total -= deleteUpTo(db, id - maxRows)
  if (total > maxBytes) {
    let over = total - maxBytes
    let last: number | undefined
    // The newest row always stays: a single row is far below the smallest cap (1 MiB).
    for (const row of prepared<[number], { id: number, bytes: number }>(db, `SELECT id, ${ROW_BYTES} AS bytes FROM rejections WHERE id < ? ORDER BY id`).iterate(id)) {
      last = row.id
      over -= row.bytes
      if (over <= 0) break
    }
    if (last !== undefined) total -= deleteUpTo(db, last)
  }
  setStoredBytes(db, total)
  return id
}

/** Write op: deletes up to `limit` rejections received before `before`; returns how many. */
export function purgeRejections (db: Db, { before, limit }: PurgeArgs): number {
  const total = storedBytes(db)
  const freed = prepared<[number, number], { bytes: number }>(db, `
    DELETE FROM rejections WHERE id IN (SELECT id FROM rejections WHERE received_at < ? ORDER BY received_at LIMIT ?)
    RETURNING ${ROW_BYTES} AS bytes`)
    .all(before, limit)
  if (freed.length > 0) setStoredBytes(db, total - freed.reduce((sum, row) => sum + row.bytes, 0))
  return freed.length
}

/** Newest first. */
export function listRejections (db: Db, filter: RejectionFilter): Page<RejectionRow> {
  const where = rejectionWhere(filter)
  const rows = prepared<[Record<string, unknown>], RejectionRow>(db, `SELECT * FROM rejections ${where} ORDER BY id DESC LIMIT @take`)
    .all({ ...filter, take: filter.limit + 1 })
  return toPage(rows, filter.limit, (row) => row, (row) => String(row.id))
}
