-- Ordered delivery per subject, as migrations/sqlite/0007_subject_order.sql.
ALTER TABLE deliveries ADD COLUMN order_key text;
CREATE INDEX deliveries_subject_line ON deliveries (destination, order_key, id)
  WHERE order_key IS NOT NULL AND status IN ('pending', 'dead');
