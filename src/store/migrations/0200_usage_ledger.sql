-- The usage ledger: one row per metered event or adjustment, never updated, never deleted.
--
-- Keys and growth. `transaction_id` is the caller's idempotency key, unique within a hub
-- database like Stripe's meter event `identifier` (it is also the key sent to providers).
-- Every table here carries `customer_id`, and every query filters on it, so the tables can be
-- distributed by customer (Citus: distribute usage_events, usage_outbox, usage_resets and
-- closed_periods by customer_id; customers becomes the co-located root). To partition by time,
-- usage_events becomes PARTITION BY RANGE (occurred_at), monthly. A unique index on a partitioned
-- (or distributed) table must contain the partition (or distribution) key, so the global
-- uniqueness of transaction_id then moves to a narrow claim table
-- `usage_transaction_ids (transaction_id PRIMARY KEY)` (distributed by transaction_id) that the
-- insert claims first in the same statement; the rest of the record path stays as it is.
-- There is deliberately no foreign key from here to customers: the record path locks the
-- customer rows it writes for (FOR KEY SHARE, see closed_periods) and a per-row foreign-key
-- trigger would more than double the cost of a batch insert.
CREATE TABLE usage_events (
  transaction_id  text NOT NULL CHECK (length(transaction_id) BETWEEN 1 AND 100),
  customer_id     text NOT NULL,
  meter           text NOT NULL,
  -- Exact; negative only for refunds, bonuses and corrections.
  quantity        numeric NOT NULL,
  -- When the usage happened (the caller's timestamp, or the hub's clock when none was given).
  occurred_at     timestamptz NOT NULL,
  -- False when occurred_at was defaulted to "now": a retry without a timestamp then gets another
  -- "now", so the timestamp takes part in the same-content check only when both calls gave one.
  timestamp_given boolean NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  kind            text NOT NULL CHECK (kind IN ('usage', 'refund', 'bonus', 'correction')),
  reason          text CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 500),
  properties      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(properties) = 'object'),
  PRIMARY KEY (transaction_id),
  CHECK (kind = 'usage' OR reason IS NOT NULL),
  CHECK (kind NOT IN ('refund', 'bonus') OR quantity < 0),
  CHECK (kind <> 'usage' OR quantity >= 0)
);

-- One secondary index only (each one costs every insert): it serves aggregates (customer, window,
-- then the meter filtered inside the index), stats buckets and the audit listing's keyset order.
CREATE INDEX usage_events_customer_time ON usage_events (customer_id, occurred_at, meter);

-- Reset points of metered features: usage of the feature counts from the latest reset on. The
-- events before it stay in the ledger (for audit and for invoices, which read meters, not features).
CREATE TABLE usage_resets (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id text NOT NULL,
  feature     text NOT NULL,
  reset_at    timestamptz NOT NULL,
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_resets_lookup ON usage_resets (customer_id, feature, reset_at);

-- Periods already invoiced: usage may no longer land in [period_from, period_to) except as an
-- explicit correction. Closing locks the customer row FOR UPDATE; recording locks it FOR KEY SHARE
-- before it checks this table, so a record and a close of the same customer never interleave.
CREATE TABLE closed_periods (
  customer_id text NOT NULL,
  period_from timestamptz NOT NULL,
  period_to   timestamptz NOT NULL,
  reference   text CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 255),
  closed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, period_from, period_to),
  CHECK (period_from < period_to)
);
