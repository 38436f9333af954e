-- The ledger partitioned by month, so that it can grow for years: each month of usage_events is
-- its own table with its own indexes (a check or an invoice reads the months of its window only),
-- and a month whose periods are all invoiced can be detached and archived or dropped
-- (`billhub ledger archive`, src/store/ledger/archive.ts) without a long DELETE.
--
-- Months are UTC calendar months, [first instant, first instant of the next). Partitions are
-- created ahead (usage_events_ensure_partitions() below: the previous month, the current one and
-- the next three, at every start of the hub, every invoice run and every archive). An event whose month has no partition yet
-- (backdated before the first month, or beyond the months created ahead) lands in the default
-- partition and moves into its month when that month's partition is created.
--
-- Global uniqueness of transaction_id. A unique index on a partitioned table must contain the
-- partition key, so usage_events cannot keep its primary key on transaction_id. The idempotency
-- key is claimed instead in a narrow table of its own, usage_transaction_ids, in the same
-- statement as the ledger insert (record_events() below): a row goes into the ledger only when its
-- transaction id was claimed by that statement. The claim also says where the event is (customer
-- and occurred_at), so a lookup by transaction id reads one partition, through the customer index
-- every partition has; the ledger needs no index of its own on transaction_id, which keeps one
-- B-tree insert (at a random place, for random ids) off every recorded event.
-- The existing ledger moves into the partitioned table inside this migration's transaction, and
-- the migration fails (changing nothing) unless every row arrived exactly once.

ALTER TABLE usage_events RENAME TO usage_events_unpartitioned;
ALTER INDEX usage_events_pkey RENAME TO usage_events_unpartitioned_pkey;
ALTER INDEX usage_events_customer_time RENAME TO usage_events_unpartitioned_customer_time;
DROP TRIGGER usage_events_rollups_after_delete ON usage_events_unpartitioned;

CREATE TABLE usage_transaction_ids (
  transaction_id text PRIMARY KEY,
  -- Where the event is: its customer and occurred_at (which month partition, then the customer index).
  customer_id    text NOT NULL,
  occurred_at    timestamptz NOT NULL
);

-- The columns and checks of 0200_usage_ledger.sql, which documents them.
CREATE TABLE usage_events (
  transaction_id  text NOT NULL CHECK (length(transaction_id) BETWEEN 1 AND 100),
  customer_id     text NOT NULL,
  meter           text NOT NULL,
  quantity        numeric NOT NULL,
  occurred_at     timestamptz NOT NULL,
  timestamp_given boolean NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  kind            text NOT NULL CHECK (kind IN ('usage', 'refund', 'bonus', 'correction')),
  reason          text CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 500),
  properties      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(properties) = 'object'),
  CHECK (kind = 'usage' OR reason IS NOT NULL),
  CHECK (kind NOT IN ('refund', 'bonus') OR quantity < 0),
  CHECK (kind <> 'usage' OR quantity >= 0)
) PARTITION BY RANGE (occurred_at);

-- Created on every partition. 0200's index (customer_id, occurred_at, meter) with the transaction
-- id inserted before the meter: it still serves aggregates (customer, window, the meter filtered
-- inside the index), stats buckets and the audit listing, and it now also finds an event from its
-- claim (customer, occurred_at, transaction id) in one descent, however many events a customer
-- records with the same timestamp. One B-tree per event, where a separate index on transaction_id
-- would be a second one.
CREATE INDEX usage_events_customer_time ON usage_events (customer_id, occurred_at, transaction_id, meter);

CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;

-- Months archived by `billhub ledger archive`: their events are no longer in the ledger (the
-- rollups and the transaction ids of those events stay, so totals over whole hours still answer
-- and a retry of an archived event is still recognised).
CREATE TABLE usage_archived_months (
  month        timestamptz PRIMARY KEY CHECK (month = date_trunc('month', month, 'UTC')),
  events       bigint NOT NULL,
  archived_as  text,
  archived_at  timestamptz NOT NULL DEFAULT now()
);

-- Month arithmetic in UTC whatever the session's time zone: `timestamptz + interval '1 month'`
-- would add a month in the session's zone.
CREATE FUNCTION usage_month_after(month timestamptz, months int) RETURNS timestamptz
LANGUAGE sql IMMUTABLE
AS $$ SELECT ((month AT TIME ZONE 'UTC') + make_interval(months => months)) AT TIME ZONE 'UTC' $$;

-- Creates the partition of one month (unless it exists or the month is archived): standalone,
-- filled with that month's events waiting in the default partition, then attached, so the ledger
-- stays writable meanwhile (ATTACH lets reads and inserts go on). Returns whether it created it.
CREATE FUNCTION usage_events_create_partition(month timestamptz) RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  m constant timestamptz := date_trunc('month', month, 'UTC');
  next_m constant timestamptz := usage_month_after(m, 1);
  name constant text := 'usage_events_' || to_char(m AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
  IF EXISTS (SELECT 1 FROM usage_archived_months a WHERE a.month = m) OR to_regclass(quote_ident(name)) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
  -- Spares ATTACH a scan of the table; dropped once the partition bound says the same.
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (occurred_at >= %L AND occurred_at < %L)', name, name || '_month', m, next_m);
  EXECUTE format('WITH moved AS (DELETE FROM usage_events_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
    m, next_m, name);
  EXECUTE format('ALTER TABLE usage_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, m, next_m);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', name, name || '_month');
  RETURN true;
END
$$;

-- Creates the month partitions that are missing: the previous month (late events), the current
-- one and `months_ahead` months ahead, and every month (of the last 20 years up to then) that has events waiting in the default
-- partition. Returns how many it created. An advisory lock keeps two callers from racing.
CREATE FUNCTION usage_events_ensure_partitions(months_ahead int DEFAULT 3) RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  this_month constant timestamptz := date_trunc('month', now(), 'UTC');
  created int := 0;
  m timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('billhub.usage_partitions.' || current_schema()));
  FOR m IN
    SELECT usage_month_after(this_month, n) FROM generate_series(-1, months_ahead) AS n
    UNION
    SELECT DISTINCT date_trunc('month', d.occurred_at, 'UTC') FROM usage_events_default d
    WHERE d.occurred_at >= usage_month_after(this_month, -240) AND d.occurred_at < usage_month_after(this_month, months_ahead + 1)
    ORDER BY 1
  LOOP
    IF usage_events_create_partition(m) THEN created := created + 1; END IF;
  END LOOP;
  RETURN created;
END
$$;

-- The existing ledger: a partition for each month it holds events in (within the last 20 years
-- and the months ahead; anything else stays in the default partition), the months ahead, then
-- every row, counted.
SELECT usage_events_create_partition(m) FROM (
  SELECT DISTINCT date_trunc('month', occurred_at, 'UTC') AS m FROM usage_events_unpartitioned
  WHERE occurred_at >= usage_month_after(date_trunc('month', now(), 'UTC'), -240)
    AND occurred_at < usage_month_after(date_trunc('month', now(), 'UTC'), 4)
) months ORDER BY m;
SELECT usage_events_ensure_partitions();

INSERT INTO usage_transaction_ids (transaction_id, customer_id, occurred_at) SELECT transaction_id, customer_id, occurred_at FROM usage_events_unpartitioned;
INSERT INTO usage_events SELECT * FROM usage_events_unpartitioned;
DO $$
DECLARE
  before bigint := (SELECT count(*) FROM usage_events_unpartitioned);
BEGIN
  IF (SELECT count(*) FROM usage_events) <> before OR (SELECT count(*) FROM usage_transaction_ids) <> before THEN
    RAISE EXCEPTION 'moving the ledger into monthly partitions did not keep its % rows', before;
  END IF;
END
$$;
DROP TABLE usage_events_unpartitioned;

CREATE TRIGGER usage_events_rollups_after_delete AFTER DELETE ON usage_events
REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION usage_rollups_after_delete();

-- record_events() of 0900_usage_rollups.sql (0700_record_events.sql says why it is a function),
-- now claiming each transaction id in usage_transaction_ids before inserting its ledger row.
CREATE OR REPLACE FUNCTION record_events(
  customer_ids_to_lock text[],
  transaction_ids text[],
  customer_ids text[],
  meters text[],
  quantities numeric[],
  occurred_ats timestamptz[],
  timestamps_given boolean[],
  kinds text[],
  reasons text[],
  properties_json jsonb[],
  outbox_transaction_ids text[],
  outbox_providers text[],
  outbox_roles text[]
) RETURNS TABLE (state text, id text, recorded_now timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  locked bigint;
BEGIN
  PERFORM c.id FROM customers c WHERE c.id = ANY (customer_ids_to_lock) ORDER BY c.id FOR KEY SHARE;
  GET DIAGNOSTICS locked = ROW_COUNT;
  IF locked < cardinality(customer_ids_to_lock) THEN
    RETURN QUERY SELECT 'unknown_customer'::text, u.id, NULL::timestamptz
      FROM unnest(customer_ids_to_lock) AS u(id)
      WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = u.id);
    RETURN;
  END IF;

  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(transaction_ids, customer_ids, meters, quantities, occurred_ats, timestamps_given, kinds, reasons, properties_json)
      AS i(transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, reason, properties)
  ),
  closed AS (
    SELECT i.transaction_id FROM input i
    WHERE i.kind <> 'correction'
      AND EXISTS (SELECT 1 FROM closed_periods c WHERE c.customer_id = i.customer_id AND c.period_from <= i.occurred_at AND i.occurred_at < c.period_to)
      AND NOT EXISTS (SELECT 1 FROM usage_transaction_ids t WHERE t.transaction_id = i.transaction_id)
  ),
  -- The idempotency keys first: a row goes into the ledger only if this statement claimed its id.
  claimed AS (
    INSERT INTO usage_transaction_ids AS t (transaction_id, customer_id, occurred_at)
    SELECT i.transaction_id, i.customer_id, i.occurred_at FROM input i
    WHERE NOT EXISTS (SELECT 1 FROM closed)
    ORDER BY i.transaction_id COLLATE "C"
    ON CONFLICT (transaction_id) DO NOTHING
    RETURNING t.transaction_id
  ),
  inserted AS (
    INSERT INTO usage_events AS e (transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, reason, properties)
    SELECT i.transaction_id, i.customer_id, i.meter, i.quantity, i.occurred_at, i.timestamp_given, i.kind, i.reason, i.properties
    FROM input i JOIN claimed c ON c.transaction_id = i.transaction_id
    RETURNING e.transaction_id, e.customer_id, e.meter, e.quantity, e.occurred_at, e.kind
  ),
  queued AS (
    INSERT INTO usage_outbox (transaction_id, customer_id, provider, role)
    SELECT o.transaction_id, ins.customer_id, o.provider, o.role
    FROM unnest(outbox_transaction_ids, outbox_providers, outbox_roles) AS o(transaction_id, provider, role)
    JOIN inserted ins ON ins.transaction_id = o.transaction_id
  ),
  -- The expressions of usage_rollups_of_ledger(), over this call's inserted rows.
  added AS (
    SELECT e.customer_id, e.meter, date_trunc('hour', e.occurred_at, 'UTC') AS bucket_start,
           sum(e.quantity) AS quantity_sum,
           sum(CASE WHEN e.kind = 'usage' THEN 1 ELSE e.quantity END) AS count_value,
           max(e.quantity) FILTER (WHERE e.kind IN ('usage', 'correction')) AS measured_max,
           (array_agg(e.occurred_at ORDER BY e.occurred_at DESC, e.transaction_id COLLATE "C" DESC) FILTER (WHERE e.kind IN ('usage', 'correction')))[1] AS last_occurred_at,
           (array_agg(e.transaction_id ORDER BY e.occurred_at DESC, e.transaction_id COLLATE "C" DESC) FILTER (WHERE e.kind IN ('usage', 'correction')))[1] AS last_transaction_id,
           (array_agg(e.quantity ORDER BY e.occurred_at DESC, e.transaction_id COLLATE "C" DESC) FILTER (WHERE e.kind IN ('usage', 'correction')))[1] AS last_quantity
    FROM inserted e
    GROUP BY e.customer_id, e.meter, date_trunc('hour', e.occurred_at, 'UTC')
  ),
  rolled AS (
    INSERT INTO usage_rollups AS r (customer_id, meter, bucket_start, quantity_sum, count_value, measured_max, last_occurred_at, last_transaction_id, last_quantity)
    SELECT * FROM added a ORDER BY a.customer_id, a.meter, a.bucket_start
    ON CONFLICT (customer_id, meter, bucket_start) DO UPDATE SET
      quantity_sum = r.quantity_sum + EXCLUDED.quantity_sum,
      count_value = r.count_value + EXCLUDED.count_value,
      -- GREATEST ignores NULLs: an hour without usage or corrections has no max yet.
      measured_max = GREATEST(r.measured_max, EXCLUDED.measured_max),
      last_occurred_at = CASE WHEN usage_rollup_newer(EXCLUDED.last_occurred_at, EXCLUDED.last_transaction_id, r.last_occurred_at, r.last_transaction_id) THEN EXCLUDED.last_occurred_at ELSE r.last_occurred_at END,
      last_transaction_id = CASE WHEN usage_rollup_newer(EXCLUDED.last_occurred_at, EXCLUDED.last_transaction_id, r.last_occurred_at, r.last_transaction_id) THEN EXCLUDED.last_transaction_id ELSE r.last_transaction_id END,
      last_quantity = CASE WHEN usage_rollup_newer(EXCLUDED.last_occurred_at, EXCLUDED.last_transaction_id, r.last_occurred_at, r.last_transaction_id) THEN EXCLUDED.last_quantity ELSE r.last_quantity END
  )
  SELECT 'summary'::text, NULL::text, now()
  UNION ALL
  SELECT CASE WHEN c.transaction_id IS NULL THEN 'not_inserted' ELSE 'closed' END, i.transaction_id, NULL::timestamptz
  FROM input i LEFT JOIN closed c ON c.transaction_id = i.transaction_id
  WHERE NOT EXISTS (SELECT 1 FROM inserted ins WHERE ins.transaction_id = i.transaction_id);
END
$$;

-- The ledger is deleted from only to take back rows the same transaction inserted (a batch
-- refused after its insert) or by a test's cleanup: a deleted event's transaction id is free
-- again, as it was before the claim table. (Archiving detaches a month, which deletes nothing:
-- its ids stay claimed.)
CREATE FUNCTION usage_transaction_ids_after_delete() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  DELETE FROM usage_transaction_ids t USING deleted d WHERE t.transaction_id = d.transaction_id;
  RETURN NULL;
END
$$;

CREATE TRIGGER usage_events_ids_after_delete AFTER DELETE ON usage_events
REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION usage_transaction_ids_after_delete();
