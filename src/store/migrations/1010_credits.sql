-- Credit grants and their ledger: prepaid money (minor units of the catalog's currency) and
-- prepaid units of a feature, drawn down at consume time (units) and at invoice time (money).
--
-- credit_grants holds each grant as it was made (never changed) plus its running balance
-- (`remaining`, `settled_through`), which is a projection of credit_entries kept in the same
-- transaction as the entry that moves it. credit_entries is append-only: every grant, draw and
-- expiry is a row, never updated or deleted (triggers below refuse it), so a balance can always be
-- recomputed as granted − drawn − expired.
CREATE TABLE credit_grants (
  customer_id      text NOT NULL REFERENCES customers (id),
  -- The caller's idempotency key for the grant, unique per customer.
  id               text NOT NULL CHECK (length(id) BETWEEN 1 AND 255),
  -- 'money': `amount` is whole minor units of `currency`; 'units': `amount` is units of `feature_key`.
  kind             text NOT NULL CHECK (kind IN ('money', 'units')),
  currency         text CHECK (currency ~ '^[A-Z]{3}$'),
  feature_key      text,
  amount           numeric NOT NULL CHECK (amount > 0),
  -- Lower numbers are drawn first.
  priority         integer NOT NULL,
  effective_at     timestamptz NOT NULL,
  expires_at       timestamptz,
  -- What is left at the end of each billing period: 'none' expires, 'all' carries, 'cap' carries up to rollover_cap.
  rollover         text NOT NULL CHECK (rollover IN ('none', 'all', 'cap')),
  rollover_cap     numeric CHECK (rollover_cap >= 0),
  source           text NOT NULL CHECK (source IN ('purchase', 'promotion', 'refund', 'manual')),
  metadata         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  -- "<provider>:<event id>" for a grant made from a provider's purchase event: applied once per event.
  provider_event   text UNIQUE,
  created_at       timestamptz NOT NULL,
  -- The running balance and the instant expiries and rollovers have been applied up to.
  remaining        numeric NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
  settled_through  timestamptz NOT NULL,
  PRIMARY KEY (customer_id, id),
  CHECK ((kind = 'money') = (currency IS NOT NULL)),
  CHECK ((kind = 'units') = (feature_key IS NOT NULL)),
  CHECK (kind = 'units' OR amount = trunc(amount)),
  CHECK (expires_at IS NULL OR expires_at > effective_at),
  CHECK ((rollover = 'cap') = (rollover_cap IS NOT NULL))
);
-- The grants a consume or an invoice may draw from: those with something left.
CREATE INDEX credit_grants_live ON credit_grants (customer_id, kind, feature_key) WHERE remaining > 0;

CREATE TABLE credit_entries (
  customer_id  text NOT NULL,
  grant_id     text NOT NULL,
  seq          bigint GENERATED ALWAYS AS IDENTITY,
  kind         text NOT NULL CHECK (kind IN ('grant', 'draw', 'expire')),
  -- Always positive: `kind` says which way it moves the balance.
  amount       numeric NOT NULL CHECK (amount > 0),
  -- What caused it: the grant itself, a consume's transactionId, an invoice id, "expiry" or
  -- "rollover:<period end>". One entry per grant, kind and cause: a retried cause writes nothing.
  reference    text NOT NULL CHECK (length(reference) BETWEEN 1 AND 300),
  at           timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, seq),
  UNIQUE (customer_id, grant_id, kind, reference),
  FOREIGN KEY (customer_id, grant_id) REFERENCES credit_grants (customer_id, id)
);

CREATE FUNCTION refuse_credit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'credit_grants' AND TG_OP = 'UPDATE'
     AND (NEW.customer_id, NEW.id, NEW.kind, NEW.currency, NEW.feature_key, NEW.amount, NEW.priority, NEW.effective_at, NEW.expires_at,
          NEW.rollover, NEW.rollover_cap, NEW.source, NEW.metadata, NEW.provider_event, NEW.created_at)
     IS NOT DISTINCT FROM
         (OLD.customer_id, OLD.id, OLD.kind, OLD.currency, OLD.feature_key, OLD.amount, OLD.priority, OLD.effective_at, OLD.expires_at,
          OLD.rollover, OLD.rollover_cap, OLD.source, OLD.metadata, OLD.provider_event, OLD.created_at) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'billhub credit grants and entries are append-only: % on % is refused', TG_OP, TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER credit_grants_append_only BEFORE UPDATE OR DELETE ON credit_grants FOR EACH ROW EXECUTE FUNCTION refuse_credit_change();
CREATE TRIGGER credit_grants_not_truncated BEFORE TRUNCATE ON credit_grants FOR EACH STATEMENT EXECUTE FUNCTION refuse_credit_change();
CREATE TRIGGER credit_entries_append_only BEFORE UPDATE OR DELETE ON credit_entries FOR EACH ROW EXECUTE FUNCTION refuse_credit_change();
CREATE TRIGGER credit_entries_not_truncated BEFORE TRUNCATE ON credit_entries FOR EACH STATEMENT EXECUTE FUNCTION refuse_credit_change();
