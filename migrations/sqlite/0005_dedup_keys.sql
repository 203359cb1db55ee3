-- Dedup keys that outlive their events (issue 19, point 8). Chaindoc's legacy
-- scheme signs no timestamp, so the only replay guard is the UNIQUE
-- (source, dedup_key) on events, and it ended when retention deleted the
-- event: the same signed bytes were then stored again under a new id.
-- Retention moves a deleted event's key here and keeps it for
-- storage.dedupWindowDays after first_seen_at; ingest looks here before it
-- inserts. Only keys of deleted events live here (live events are their own
-- guard), so ingest writes nothing more per webhook.
CREATE TABLE dedup_keys (
  source        TEXT NOT NULL,
  dedup_key     TEXT NOT NULL,
  event_id      TEXT NOT NULL,             -- the original event's id, answered to a replay
  first_seen_at INTEGER NOT NULL,          -- the original's received_at (gateway clock, ms)
  PRIMARY KEY (source, dedup_key)
) WITHOUT ROWID;
-- Retention drops the keys past the window, oldest first.
CREATE INDEX dedup_keys_first_seen ON dedup_keys (first_seen_at);
