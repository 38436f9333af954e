-- Every change of a customer's plan, with the instant it takes effect: invoices price each part of
-- a window on the plan held then (a customer who changes plan after a period ended is still billed
-- that period on the plan it had). customers.plan_key / plan_variant stay the plan in force now,
-- written in the same transaction as the change that set them.
--
-- A customer without rows has been on the catalog's default plan all along. A row's plan holds
-- from effective_at until the next row's; '-infinity' means "since the beginning": the plan every
-- existing customer had when this table was created is carried over that way, so what was billed
-- before is billed the same. plan_key NULL is the catalog's default plan (unassign).
-- Rows are never updated after the fact except by a second change at the very same instant,
-- which replaces the first (an instant holds one plan).
CREATE TABLE customer_plan_changes (
  customer_id   text NOT NULL REFERENCES customers (id),
  effective_at  timestamptz NOT NULL,
  plan_key      text,
  plan_variant  text,
  -- What made the change: 'assign', 'unassign', 'subscription' or 'migration'.
  source        text NOT NULL CHECK (source IN ('assign', 'unassign', 'subscription', 'migration')),
  -- For subscription changes, the provider and its subscription ("<provider>:<subscription id>").
  reference     text CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 300),
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, effective_at)
);

INSERT INTO customer_plan_changes (customer_id, effective_at, plan_key, plan_variant, source)
SELECT id, '-infinity', plan_key, plan_variant, 'migration' FROM customers WHERE plan_key IS NOT NULL OR plan_variant IS NOT NULL;
