-- Threshold alerts that fired: one row per (customer, alert, window), so an alert fires once per
-- window however many writers cross its threshold at once (the unique key decides, not a lock).
-- The row is written in the transaction of the usage that crossed the threshold: an alert exists
-- exactly when that usage does. id is derived from (customer, alert, window start): the event id
-- every delivery of this firing carries (webhook-id), stable across retries and replays.
CREATE TABLE alert_firings (
  id            text PRIMARY KEY,
  customer_id   text NOT NULL REFERENCES customers (id),
  alert         text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('usage', 'spend', 'credit_balance_low', 'credit_balance_depleted', 'credits_expiring')),
  -- The window the alert fires once in (a lifetime window starts at the epoch).
  window_start  timestamptz NOT NULL,
  window_end    timestamptz,
  feature       text,
  -- The threshold crossed and the value that crossed it: exact decimals (spend: minor units).
  threshold     text NOT NULL,
  value         text NOT NULL,
  -- The event body every delivery sends, byte for byte (signatures cover it), so text, not jsonb.
  body          text NOT NULL,
  fired_at      timestamptz NOT NULL,
  UNIQUE (customer_id, alert, window_start)
);
CREATE INDEX alert_firings_recent ON alert_firings (fired_at DESC, id);

-- One row per (firing, endpoint): the alerts' outbox. Senders claim due rows with FOR UPDATE SKIP
-- LOCKED and a lease (next_attempt_at moves to the lease's end), settle them delivered, pending
-- again after a backoff, or dead; nothing is deleted and dead rows can be replayed. A sender that
-- dies after sending but before settling leaves the row to be sent again once its lease ends:
-- delivery is at least once, with the same webhook-id each time.
CREATE TABLE alert_deliveries (
  event_id        text NOT NULL REFERENCES alert_firings (id),
  endpoint        text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claim_id        text,
  claimed_by      text,
  last_attempt_at timestamptz,
  -- The endpoint's HTTP status on the last attempt (null: no answer, e.g. a timeout).
  last_status     integer,
  last_error      text,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, endpoint),
  CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_deliveries_dead ON alert_deliveries (created_at) WHERE status = 'dead';
