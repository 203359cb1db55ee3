-- Fewer B-trees for every webhook stored. Each index on events or deliveries
-- is written inside the ingest transaction, on the writer thread ingest waits
-- for; a profile of the benchmark put the writer at a third of the CPU per
-- webhook. These three earn nothing the remaining indexes do not give:

-- Event ids begin with their receipt time (evt_ + 9 base-36 digits of
-- received_at in ms), so the primary key already orders events by time: time
-- filters and retention seek on id ranges instead.
DROP INDEX events_received_at;

-- Most events are 'delivered' or 'none' and are found at once walking ids from
-- the newest; only the rare states need an index to be found at all. Ingest
-- without destinations ('none') then writes nothing here. One index per state:
-- SQLite uses a partial index only when the query repeats its WHERE term.
DROP INDEX events_status;
CREATE INDEX events_pending ON events (id) WHERE status = 'pending';
CREATE INDEX events_dead ON events (id) WHERE status = 'dead';

-- Claims and "next due" go through deliveries_ready_by_destination (0002).
DROP INDEX deliveries_ready;
