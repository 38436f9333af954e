-- Recorded usage whose usage and spend alerts are still to be evaluated: one row per customer and
-- UTC hour of the events' timestamps, written in the transaction that records the events (so it
-- exists exactly when they do) and deleted once an evaluation that read after it has run. The
-- first and last timestamps of the hour's new events are the instants evaluated: every reset
-- window and billing period is at least an hour long and hour windows start on the hour, so the
-- windows of those two instants are every window the hour's events fall in. `version` grows with
-- every write, so an evaluator deletes only the row it read: usage recorded during an evaluation
-- leaves the row for the next one.
CREATE TABLE alert_pending_usage (
  customer_id text NOT NULL,
  hour        timestamptz NOT NULL,
  first_at    timestamptz NOT NULL,
  last_at     timestamptz NOT NULL,
  version     bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (customer_id, hour)
);
