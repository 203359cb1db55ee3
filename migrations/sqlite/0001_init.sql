-- hookgate inbox and outbox. Times are integer milliseconds since the epoch,
-- always taken from the gateway's injected clock (never SQLite's own).

-- One row per accepted webhook. (source, dedup_key) is the idempotency key:
-- a provider retry or a parallel duplicate lands on the same row.
CREATE TABLE events (
  id           TEXT PRIMARY KEY,          -- gateway id: evt_<time-sortable>
  source       TEXT NOT NULL,             -- configured source name (URL segment)
  provider     TEXT NOT NULL,             -- provider plugin that verified it
  dedup_key    TEXT NOT NULL,             -- provider delivery id, or a body digest
  type         TEXT NOT NULL,             -- provider event type, verbatim
  subject      TEXT,                      -- entity the event is about, when known
  occurred_at  TEXT,                      -- ISO time given by the provider
  received_at  INTEGER NOT NULL,
  headers      TEXT NOT NULL,             -- JSON: the provider headers needed to re-verify
  body         BLOB NOT NULL,             -- exact bytes as received
  status       TEXT NOT NULL,             -- pending | delivered | dead | none
  UNIQUE (source, dedup_key)
);
CREATE INDEX events_received_at ON events (received_at);
CREATE INDEX events_status ON events (status, received_at);

-- One row per (event, destination) that must receive it.
CREATE TABLE deliveries (
  id           INTEGER PRIMARY KEY,
  event_id     TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  destination  TEXT NOT NULL,
  status       TEXT NOT NULL,             -- pending | delivered | dead
  attempts     INTEGER NOT NULL DEFAULT 0,
  run_at       INTEGER NOT NULL,          -- not before this time
  locked_at    INTEGER,                   -- lease start while an attempt is in flight
  locked_by    TEXT,                      -- process that holds the lease
  last_error   TEXT,
  last_status  INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  delivered_at INTEGER
);
-- The claim query only ever looks at ready rows: keep that index small.
CREATE INDEX deliveries_ready ON deliveries (run_at) WHERE status = 'pending' AND locked_at IS NULL;
CREATE INDEX deliveries_locked ON deliveries (locked_at) WHERE locked_at IS NOT NULL;
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_destination_status ON deliveries (destination, status);

-- Every attempt, for inspection: what we sent, how it ended.
CREATE TABLE attempts (
  id            INTEGER PRIMARY KEY,
  delivery_id   INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt       INTEGER NOT NULL,
  started_at    INTEGER NOT NULL,
  duration_ms   INTEGER NOT NULL,
  status_code   INTEGER,                  -- null when no HTTP answer came
  error         TEXT,                     -- network error or reason
  response_body TEXT                      -- first 1 KiB of the answer
);
CREATE INDEX attempts_delivery ON attempts (delivery_id);

-- Small key/value facts about this database; the readiness probe writes here
-- so that "ready" means "a write can commit", not just "the file opens".
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
