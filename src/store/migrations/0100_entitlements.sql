-- A customer's own grants, replacing the plan's for one feature each. A second override of
-- the same feature replaces the first; other features' overrides stay.
CREATE TABLE customer_overrides (
  customer_id  text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  feature_key  text NOT NULL,
  granted      boolean NOT NULL,
  -- NULL = unlimited.
  limit_value  numeric CHECK (limit_value >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, feature_key)
);

-- Time-bounded grants (amount > 0) and deductions (amount < 0) on top of a customer's limit.
-- `id` is the caller's idempotency key, unique per customer, so a retried grant is not doubled.
CREATE TABLE limit_adjustments (
  customer_id  text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  id           text NOT NULL CHECK (length(id) BETWEEN 1 AND 255),
  feature_key  text NOT NULL,
  amount       numeric NOT NULL CHECK (amount <> 0),
  recurrence   text NOT NULL CHECK (recurrence IN ('once', 'each_period')),
  starts_at    timestamptz NOT NULL,
  -- Exclusive; NULL = no end. Ending an adjustment before it started leaves it never active.
  ends_at      timestamptz CHECK (ends_at IS NULL OR ends_at >= starts_at),
  reason       text,
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, id)
);

-- Entitlements load the adjustments that have not ended yet.
CREATE INDEX limit_adjustments_open ON limit_adjustments (customer_id, ends_at);

-- One billhub customer per provider customer: webhooks find the customer by the provider's id.
CREATE UNIQUE INDEX customers_stripe_id ON customers ((provider_ids ->> 'stripe')) WHERE provider_ids ? 'stripe';
CREATE UNIQUE INDEX customers_flowglad_id ON customers ((provider_ids ->> 'flowglad')) WHERE provider_ids ? 'flowglad';
