-- Each provider subscription as last synced, and the plan it puts its customer on. A customer's
-- plan is derived from all of their subscriptions here, so one subscription ending does not take
-- away the plan another still pays for.
CREATE TABLE provider_subscriptions (
  provider              text NOT NULL,
  subscription_id       text NOT NULL,
  provider_customer_id  text NOT NULL,
  -- NULL while no billhub customer carries provider_customer_id.
  customer_id           text REFERENCES customers (id) ON DELETE SET NULL,
  status                text NOT NULL,
  -- True while the status grants the plan (active, trialing, past_due, ...).
  entitled              boolean NOT NULL,
  -- True while the status is incomplete: the first payment is pending, the plan is neither granted nor taken away.
  pending               boolean NOT NULL,
  plan_key              text,
  -- Why no plan was resolved, when none was.
  plan_error            text,
  price_ids             text[] NOT NULL DEFAULT '{}',
  lookup_keys           text[] NOT NULL DEFAULT '{}',
  current_period_start  timestamptz,
  current_period_end    timestamptz,
  cancel_at_period_end  boolean NOT NULL DEFAULT false,
  version_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, subscription_id)
);

CREATE INDEX provider_subscriptions_customer ON provider_subscriptions (customer_id);
CREATE INDEX provider_subscriptions_provider_customer ON provider_subscriptions (provider, provider_customer_id);
