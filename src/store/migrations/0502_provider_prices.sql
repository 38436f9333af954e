-- Synced provider prices, versioned: every change closes the current version (valid_to) and
-- opens a new one (valid_from), so the price a lookup key pointed at in any past instant can be
-- read back. Validity is half-open: [valid_from, valid_to).
CREATE TABLE provider_price_versions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider       text NOT NULL,
  price_id       text NOT NULL,
  -- Stripe lookup_key, Flowglad price slug: what catalog charges reference.
  lookup_key     text,
  product_id     text,
  active         boolean NOT NULL,
  currency       text NOT NULL,
  -- The provider's price as billhub reads it (amounts as exact decimal strings).
  price          jsonb NOT NULL,
  -- The price in pricing's terms (ResolvedPrice); NULL when it cannot price usage, with the reason.
  resolved       jsonb,
  resolve_error  text,
  state_hash     text NOT NULL,
  valid_from     timestamptz NOT NULL,
  valid_to       timestamptz,
  -- The event (or sync run) that produced this version.
  source         text NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_to IS NULL OR valid_to > valid_from),
  CHECK ((resolved IS NULL) <> (resolve_error IS NULL))
);

-- At most one current version per price.
CREATE UNIQUE INDEX provider_price_versions_current ON provider_price_versions (provider, price_id) WHERE valid_to IS NULL;
CREATE INDEX provider_price_versions_lookup ON provider_price_versions (lookup_key, valid_from) WHERE lookup_key IS NOT NULL;
CREATE INDEX provider_price_versions_price ON provider_price_versions (provider, price_id, valid_from);

-- Synced provider products (current state; prices carry the history).
CREATE TABLE provider_products (
  provider    text NOT NULL,
  product_id  text NOT NULL,
  name        text NOT NULL,
  active      boolean NOT NULL,
  deleted     boolean NOT NULL DEFAULT false,
  metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (provider, product_id)
);
