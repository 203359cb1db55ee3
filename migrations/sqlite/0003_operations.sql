-- Operations (issue 5): rejected requests, paused destinations, and the
-- indexes the admin API and /metrics read through. Times are milliseconds
-- from the gateway's clock, as in 0001.

-- Requests refused at ingest (signature, timestamp, shape, size, unknown
-- source), kept so an operator can see why "the signature never matches".
-- Bounded by storage.rejectionMaxRows and storage.rejectionRetentionDays.
CREATE TABLE rejections (
  id           INTEGER PRIMARY KEY,       -- grows with time: trimming drops the smallest ids
  received_at  INTEGER NOT NULL,
  source       TEXT NOT NULL,             -- the URL segment as sent (may name no configured source)
  reason       TEXT NOT NULL,             -- the HG_ERR_* code answered
  status_code  INTEGER NOT NULL,
  message      TEXT NOT NULL,
  remote_addr  TEXT,
  headers      TEXT NOT NULL,             -- JSON; signature headers kept, authorization and cookies never
  body         BLOB,                      -- first 64 KiB; NULL when refused before the body was read
  body_bytes   INTEGER                    -- the whole body's size, when known
);
CREATE INDEX rejections_received_at ON rejections (received_at);

-- Paused destinations keep their deliveries pending: the dispatcher does not
-- claim them. Persisted so a restart does not resume them behind the operator's back.
CREATE TABLE destination_state (
  name        TEXT PRIMARY KEY,
  paused      INTEGER NOT NULL DEFAULT 0,
  paused_at   INTEGER,
  updated_at  INTEGER NOT NULL
);

-- When a delivery last entered the queue: NULL means at creation; a manual
-- retry of a dead delivery sets it, so "oldest pending age" does not jump to
-- the event's age the moment an operator retries last week's failures.
ALTER TABLE deliveries ADD COLUMN queued_at INTEGER;

-- "What happened to user_123": subject lookups from the admin API.
CREATE INDEX events_subject ON events (subject) WHERE subject IS NOT NULL;
-- Per-destination figures for GET /admin/destinations and /metrics, each a
-- seek on a small partial index rather than a walk of every delivery.
CREATE INDEX deliveries_pending_since ON deliveries (destination, coalesce(queued_at, created_at)) WHERE status = 'pending';
CREATE INDEX deliveries_delivered_at ON deliveries (destination, delivered_at) WHERE status = 'delivered';
CREATE INDEX deliveries_last_error ON deliveries (destination, updated_at) WHERE last_error IS NOT NULL;
