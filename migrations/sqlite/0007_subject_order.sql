-- Ordered delivery per subject (issue 16). A delivery to a destination with
-- `ordering: subject` carries its event's subject here; the claim then takes
-- a delivery only at the head of its subject's line (no earlier one of the
-- same destination and key pending, or dead where dead heads block, and none
-- of them in flight). NULL: not ordered (no ordering, no subject, a replay,
-- or a head an operator skipped).
ALTER TABLE deliveries ADD COLUMN order_key TEXT;
-- The line of one subject: only what can hold it up (pending and dead rows),
-- so a claim's check is a seek to the subject's first row, however long its
-- delivered history.
CREATE INDEX deliveries_subject_line ON deliveries (destination, order_key, id)
  WHERE order_key IS NOT NULL AND status IN ('pending', 'dead');
