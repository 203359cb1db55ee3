import type { Page, PurgeArgs, RecordRejectionArgs, RejectionFilter, RejectionRow } from '../../../store/contract.js'
import { query, type Conn, type Pool } from '../pool.js'
import { rejectionWhere, toPage } from '../../shared/filters.js'

/** What a row costs, as the byte cap counts it (the SQLite adapter's measure). */
const ROW_BYTES = 'coalesce(octet_length(body), 0) + octet_length(headers) + octet_length(message)'
const TOTAL_KEY = 'rejection_bytes'

/**
 * The running total of ROW_BYTES, kept in `meta` as the SQLite adapter keeps
 * it; read FOR UPDATE, so replicas recording rejections at once add up
 * instead of overwriting each other's totals.
 */
async function storedBytes (conn: Conn): Promise<number> {
  await query(conn, "INSERT INTO meta (key, value) VALUES (@key, '0') ON CONFLICT (key) DO NOTHING", { key: TOTAL_KEY })
  const [row] = await query<{ value: string }>(conn, 'SELECT value FROM meta WHERE key = @key FOR UPDATE', { key: TOTAL_KEY })
  return Number(row!.value)
}

async function setStoredBytes (conn: Conn, total: number): Promise<void> {
  await query(conn, 'UPDATE meta SET value = @value WHERE key = @key', { key: TOTAL_KEY, value: String(Math.max(0, total)) })
}

async function deleteUpTo (conn: Conn, upTo: number): Promise<number> {
  const rows = await query<{ bytes: number }>(conn, `DELETE FROM rejections WHERE id <= @upTo RETURNING ${ROW_BYTES} AS bytes`, { upTo })
  return rows.reduce((sum, row) => sum + row.bytes, 0)
}

/**
 * Stores one rejected request and drops the oldest beyond `maxRows` rows or
 * `maxBytes` bytes, as the SQLite adapter does. Ids come from a sequence,
 * which a rolled-back insert skips a number of: the row trim by id then keeps
 * a few rows fewer than the cap, never more.
 */
export async function recordRejection (conn: Conn, { rejection, maxRows, maxBytes }: RecordRejectionArgs): Promise<number | null> {
  if (maxRows <= 0) return null
  const body = rejection.body === null ? null : Buffer.from(rejection.body.buffer, rejection.body.byteOffset, rejection.body.byteLength)
  let total = await storedBytes(conn)
  const [row] = await query<{ id: number }>(conn, `
    INSERT INTO rejections (received_at, source, reason, status_code, message, remote_addr, headers, body, body_bytes)
    VALUES (@receivedAt, @source, @reason, @statusCode, @message, @remoteAddr, @headers, @body, @bodyBytes) RETURNING id`, { ...rejection, body })
  const id = row!.id
  total += (body?.length ?? 0) + Buffer.byteLength(rejection.headers) + Buffer.byteLength(rejection.message)
  total -= await deleteUpTo(conn, id - maxRows)
  if (total > maxBytes) {
    let over = total - maxBytes
    let last: number | undefined
    for (const old of await query<{ id: number, bytes: number }>(conn, `SELECT id, ${ROW_BYTES} AS bytes FROM rejections WHERE id < @id ORDER BY id LIMIT 1000`, { id })) {
      last = old.id
      over -= old.bytes
      if (over <= 0) break
    }
    if (last !== undefined) total -= await deleteUpTo(conn, last)
  }
  await setStoredBytes(conn, total)
  return id
}

export async function purgeRejections (conn: Conn, { before, limit }: PurgeArgs): Promise<number> {
  const total = await storedBytes(conn)
  const freed = await query<{ bytes: number }>(conn, `
    DELETE FROM rejections WHERE id IN (SELECT id FROM rejections WHERE received_at < @before ORDER BY received_at LIMIT @limit)
    RETURNING ${ROW_BYTES} AS bytes`, { before, limit })
  if (freed.length > 0) await setStoredBytes(conn, total - freed.reduce((sum, row) => sum + row.bytes, 0))
  return freed.length
}

export async function listRejections (db: Pool, filter: RejectionFilter): Promise<Page<RejectionRow>> {
  const where = rejectionWhere(filter)
  const rows = await query<RejectionRow>(db, `SELECT * FROM rejections ${where} ORDER BY id DESC LIMIT @take`, { ...filter, take: filter.limit + 1 })
  return toPage(rows, filter.limit, (row) => row, (row) => String(row.id))
}
