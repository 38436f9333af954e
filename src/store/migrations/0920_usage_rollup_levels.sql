-- Coarser rollup levels for closed time. With about one event per customer × meter × hour, the
-- hourly rollups of 0900 hold as many rows as the ledger, so a month-long window (an invoice)
-- reads as many rows as a raw scan would. Compaction (src/store/rollups/compact-rollups.ts) moves
-- the hourly rows of complete past UTC days into day rows and adds them into month rows, so a
-- calendar month reads one row per customer × meter.
--
-- What stays exact, and why:
-- - Every ledger event is summed in exactly one hourly or day row: compaction MOVES hourly rows
--   (a DELETE … RETURNING feeding the day rows, in one statement). An event recorded later into a
--   compacted day (backdated) lands in a fresh hourly row as record_events() writes it, and a
--   read sums both levels; the next compaction merges it in.
-- - A month row is the merge of its month's day rows (kept beside them, written in the same
--   statement), so a read takes either the month row or that month's day rows, never both.
-- - Day rows exist only for days before `compacted_before`. A window edge inside such a day
--   cannot be served by the day row, so reads take that partial day from the ledger instead
--   (src/store/ledger/rollup-parts.ts); edges after it split by the hour as before.
-- - Compaction locks the hourly rows it moves in key order, as record_events() takes them, so a
--   concurrent record and a compaction wait for each other instead of deadlocking; a read is one
--   statement, so it sees a compaction's move entirely or not at all.
CREATE TABLE usage_rollup_days (
  customer_id          text NOT NULL,
  meter                text NOT NULL,
  -- The UTC day the row holds: [bucket_start, bucket_start + 1 day).
  bucket_start         timestamptz NOT NULL CHECK (bucket_start = date_trunc('day', bucket_start, 'UTC')),
  -- The columns of usage_rollups, merged over the day's moved hours.
  quantity_sum         numeric NOT NULL,
  count_value          numeric NOT NULL,
  measured_max         numeric,
  last_occurred_at     timestamptz,
  last_transaction_id  text,
  last_quantity        numeric,
  PRIMARY KEY (customer_id, meter, bucket_start),
  CHECK ((last_occurred_at IS NULL) = (measured_max IS NULL)
     AND (last_transaction_id IS NULL) = (measured_max IS NULL)
     AND (last_quantity IS NULL) = (measured_max IS NULL))
);

CREATE TABLE usage_rollup_months (
  customer_id          text NOT NULL,
  meter                text NOT NULL,
  -- The UTC calendar month: [bucket_start, bucket_start + 1 month).
  bucket_start         timestamptz NOT NULL CHECK (bucket_start = date_trunc('month', bucket_start, 'UTC')),
  quantity_sum         numeric NOT NULL,
  count_value          numeric NOT NULL,
  measured_max         numeric,
  last_occurred_at     timestamptz,
  last_transaction_id  text,
  last_quantity        numeric,
  PRIMARY KEY (customer_id, meter, bucket_start),
  CHECK ((last_occurred_at IS NULL) = (measured_max IS NULL)
     AND (last_transaction_id IS NULL) = (measured_max IS NULL)
     AND (last_quantity IS NULL) = (measured_max IS NULL))
);

-- One row: day rows exist only for days before compacted_before, which only moves forward.
CREATE TABLE usage_rollup_compaction (
  singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  compacted_before  timestamptz NOT NULL CHECK (compacted_before = '-infinity' OR compacted_before = date_trunc('day', compacted_before, 'UTC'))
);
INSERT INTO usage_rollup_compaction (compacted_before) VALUES ('-infinity');

-- The ledger is deleted from only to take back rows its own transaction inserted (a refused batch)
-- or by a test's cleanup. 0900's trigger then recomputes each touched hour from the ledger as a
-- whole hourly row, which would count twice what a day row of that day already holds. So, after
-- it (triggers of an event fire in name order), a touched day that has a day row is taken back
-- out of compaction: its day row goes, its hours are recomputed from the ledger as hourly rows,
-- and its month row is merged again from the day rows left. The next compaction moves it again.
CREATE FUNCTION usage_rollups_compacted_after_delete() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  customer_ids text[];
  meters text[];
  days timestamptz[];
BEGIN
  SELECT array_agg(t.customer_id), array_agg(t.meter), array_agg(t.bucket_start) INTO customer_ids, meters, days
  FROM (SELECT DISTINCT d.customer_id, d.meter, date_trunc('day', d.occurred_at, 'UTC') AS bucket_start FROM deleted d) t
  WHERE EXISTS (SELECT 1 FROM usage_rollup_days r WHERE r.customer_id = t.customer_id AND r.meter = t.meter AND r.bucket_start = t.bucket_start);
  IF customer_ids IS NULL THEN
    RETURN NULL;
  END IF;

  DELETE FROM usage_rollup_days r USING unnest(customer_ids, meters, days) AS u(customer_id, meter, bucket_start)
  WHERE r.customer_id = u.customer_id AND r.meter = u.meter AND r.bucket_start = u.bucket_start;
  DELETE FROM usage_rollups r USING unnest(customer_ids, meters, days) AS u(customer_id, meter, bucket_start)
  WHERE r.customer_id = u.customer_id AND r.meter = u.meter AND r.bucket_start >= u.bucket_start AND r.bucket_start < u.bucket_start + interval '1 day';
  INSERT INTO usage_rollups
  SELECT f.* FROM unnest(customer_ids, meters, days) AS u(customer_id, meter, bucket_start)
  CROSS JOIN LATERAL usage_rollups_of_ledger(u.bucket_start, u.bucket_start + interval '1 day') f
  WHERE f.customer_id = u.customer_id AND f.meter = u.meter;

  DELETE FROM usage_rollup_months r USING unnest(customer_ids, meters, days) AS u(customer_id, meter, bucket_start)
  WHERE r.customer_id = u.customer_id AND r.meter = u.meter AND r.bucket_start = date_trunc('month', u.bucket_start, 'UTC');
  INSERT INTO usage_rollup_months
  SELECT d.customer_id, d.meter, date_trunc('month', d.bucket_start, 'UTC'), sum(d.quantity_sum), sum(d.count_value), max(d.measured_max),
         (array_agg(d.last_occurred_at ORDER BY d.last_occurred_at DESC, d.last_transaction_id COLLATE "C" DESC) FILTER (WHERE d.last_occurred_at IS NOT NULL))[1],
         (array_agg(d.last_transaction_id ORDER BY d.last_occurred_at DESC, d.last_transaction_id COLLATE "C" DESC) FILTER (WHERE d.last_occurred_at IS NOT NULL))[1],
         (array_agg(d.last_quantity ORDER BY d.last_occurred_at DESC, d.last_transaction_id COLLATE "C" DESC) FILTER (WHERE d.last_occurred_at IS NOT NULL))[1]
  FROM usage_rollup_days d
  JOIN (SELECT DISTINCT u.customer_id, u.meter, date_trunc('month', u.bucket_start, 'UTC') AS month_start FROM unnest(customer_ids, meters, days) AS u(customer_id, meter, bucket_start)) u
    ON d.customer_id = u.customer_id AND d.meter = u.meter AND d.bucket_start >= u.month_start AND d.bucket_start < u.month_start + interval '1 month'
  GROUP BY d.customer_id, d.meter, date_trunc('month', d.bucket_start, 'UTC');
  RETURN NULL;
END
$$;

CREATE TRIGGER usage_events_rollups_compacted_after_delete AFTER DELETE ON usage_events
REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION usage_rollups_compacted_after_delete();
