-- Customers are the root every other table hangs from. `id` is the caller's own id for the
-- customer (a user, an organization, a session, an IP: whatever is metered or limited).
CREATE TABLE customers (
  id              text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
  reference_type  text NOT NULL DEFAULT 'user' CHECK (length(reference_type) BETWEEN 1 AND 64),
  email           text,
  name            text,
  -- NULL: the catalog's default plan, following later changes of the default.
  plan_key        text,
  plan_variant    text,
  -- Ids of this customer at each provider, e.g. {"stripe": "cus_123", "flowglad": "user_42"}.
  provider_ids    jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Start of the current billing period; billing-period resets and invoices anchor on it.
  period_start    timestamptz,
  period_end      timestamptz,
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
