-- Provider customer ids in one table for every provider, instead of one unique index per
-- provider on customers.provider_ids (0100) and a CHECK naming the providers on
-- usage_outbox.provider (0201): a new provider needs no migration.
--
-- customers.provider_ids stays what billhub reads and writes; this table mirrors it, kept by the
-- trigger below in the same statement, and holds the uniqueness: one billhub customer per
-- (provider, provider customer id). Webhooks find a customer by the provider's id through its
-- primary key.
CREATE TABLE customer_provider_ids (
  provider             text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_]{0,62}$'),
  provider_customer_id text NOT NULL,
  customer_id          text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  PRIMARY KEY (provider, provider_customer_id),
  UNIQUE (customer_id, provider)
);

-- Every id stored so far (the per-provider indexes kept them unique, so none conflict).
INSERT INTO customer_provider_ids (provider, provider_customer_id, customer_id)
SELECT e.key, e.value, c.id FROM customers c CROSS JOIN LATERAL jsonb_each_text(c.provider_ids) AS e(key, value);

DROP INDEX customers_stripe_id;
DROP INDEX customers_flowglad_id;

-- After each insert, and each update that changes provider_ids: drop the pairs the row no longer
-- has, add the new ones. A pair another customer holds refuses the statement with 23505 and the
-- provider in DETAIL (the repository names the field from it).
CREATE FUNCTION customers_keep_provider_ids() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  pair record;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM customer_provider_ids p
    WHERE p.customer_id = OLD.id AND (NEW.provider_ids ->> p.provider) IS DISTINCT FROM p.provider_customer_id;
  END IF;
  FOR pair IN
    SELECT e.key, e.value FROM jsonb_each_text(NEW.provider_ids) AS e(key, value)
    WHERE TG_OP = 'INSERT' OR (OLD.provider_ids ->> e.key) IS DISTINCT FROM e.value
  LOOP
    INSERT INTO customer_provider_ids (provider, provider_customer_id, customer_id) VALUES (pair.key, pair.value, NEW.id)
    ON CONFLICT (provider, provider_customer_id) DO NOTHING;
    IF NOT FOUND THEN
      RAISE EXCEPTION '% customer id % already belongs to another customer', pair.key, pair.value
        USING ERRCODE = 'unique_violation', CONSTRAINT = 'customer_provider_ids_pkey', DETAIL = pair.key;
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER customers_keep_provider_ids AFTER INSERT OR UPDATE OF provider_ids ON customers
FOR EACH ROW EXECUTE FUNCTION customers_keep_provider_ids();

-- Outbox rows name any provider billhub has a definition for; the ledger's writer only routes to
-- configured providers, which config checks against the definitions (src/providers/index.ts).
ALTER TABLE usage_outbox DROP CONSTRAINT usage_outbox_provider_check;
ALTER TABLE usage_outbox ADD CONSTRAINT usage_outbox_provider_check CHECK (provider ~ '^[a-z][a-z0-9_]{0,62}$');
