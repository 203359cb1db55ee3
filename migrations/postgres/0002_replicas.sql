-- Lease owners, as migrations/sqlite/0006_replicas.sql: each gateway's
-- dispatcher beats here every few seconds, so the others can tell a live
-- owner's leases (never taken, however old) from a dead one's (taken over
-- once its beats stop for the takeover window).
CREATE TABLE replicas (
  owner      text PRIMARY KEY,           -- Dispatcher.owner: host:pid:random
  started_at bigint NOT NULL,            -- first beat (gateway clock, ms)
  beat_at    bigint NOT NULL             -- last beat
);
