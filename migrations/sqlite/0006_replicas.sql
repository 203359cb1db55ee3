-- Lease owners (issue 14): each dispatcher beats here every few seconds, so
-- a gateway sharing the database can tell a live owner's leases (never
-- taken, however old) from a dead one's (taken over after a short window).
-- SQLite admits one gateway per file, so here this holds the one live row;
-- the PostgreSQL adapter keeps the same table for its replicas.
CREATE TABLE replicas (
  owner      TEXT PRIMARY KEY,          -- Dispatcher.owner: host:pid:random
  started_at INTEGER NOT NULL,          -- first beat (gateway clock, ms)
  beat_at    INTEGER NOT NULL           -- last beat
) WITHOUT ROWID;
