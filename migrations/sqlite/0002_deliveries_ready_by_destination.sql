-- The dispatcher claims per destination (each has its own concurrency limit).
-- On deliveries_ready alone, a claim for one destination walks past every due
-- row of the others: with 10,000 due rows piled up behind a dead receiver,
-- each claim for a healthy destination would read them all, on the writer
-- thread that ingest waits for. This index makes each claim a seek to its
-- own due rows; deliveries_ready still answers "when is the next row due".
CREATE INDEX deliveries_ready_by_destination ON deliveries (destination, run_at)
  WHERE status = 'pending' AND locked_at IS NULL;
