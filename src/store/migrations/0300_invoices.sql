-- Stored invoices: what an invoice run billed each customer for a period, as numbered,
-- immutable documents. An invoice is never updated or deleted (triggers below refuse it, on
-- PGlite and PostgreSQL alike); a mistake is put right by a later document, never by an edit.

-- One counter per hub: invoice numbers are sequential and gap-free across the whole hub. A number
-- is taken by incrementing this row inside the transaction that writes the invoice, so a rolled
-- back run gives its numbers back (a PostgreSQL sequence would leave gaps). Runs that write at the
-- same time take turns on this row for the rest of their transaction; they hold their customers'
-- rows first and this row last, so they can wait on each other but never deadlock.
CREATE TABLE invoice_numbering (
  scope       text PRIMARY KEY CHECK (scope = 'hub'),
  last_number bigint NOT NULL CHECK (last_number >= 0)
);
INSERT INTO invoice_numbering (scope, last_number) VALUES ('hub', 0);

CREATE TABLE invoices (
  -- Derived from the customer and the billing month, so a re-run computes the same id.
  id           text PRIMARY KEY,
  number       bigint NOT NULL UNIQUE CHECK (number > 0),
  customer_id  text NOT NULL REFERENCES customers (id),
  plan_key     text NOT NULL,
  -- Who collects it: the customer's primary provider when the invoice was written.
  provider     text NOT NULL,
  -- The billing month the run was for ("2026-10"), and the exact window billed, [from, to).
  period_key   text NOT NULL CHECK (period_key ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  period_from  timestamptz NOT NULL,
  period_to    timestamptz NOT NULL,
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Whole minor units: the sum of the lines' amounts.
  subtotal     bigint NOT NULL,
  status       text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued')),
  line_count   integer NOT NULL CHECK (line_count >= 0),
  created_at   timestamptz NOT NULL,
  CHECK (period_from < period_to),
  UNIQUE (customer_id, period_key)
);
CREATE INDEX invoices_period ON invoices (period_key, number);
CREATE INDEX invoices_customer_period ON invoices (customer_id, period_to);

CREATE TABLE invoice_lines (
  invoice_id        text NOT NULL REFERENCES invoices (id),
  -- 1-based, in the plan's charge order (a minimum-commitment true-up last).
  line_number       integer NOT NULL CHECK (line_number > 0),
  charge_key        text NOT NULL,
  model             text NOT NULL,
  meter             text,
  description       text NOT NULL,
  quantity          numeric NOT NULL,
  billable_quantity numeric NOT NULL,
  -- Whole minor units, rounded once for this line; exact_amount is the same before rounding.
  amount            bigint NOT NULL,
  exact_amount      numeric NOT NULL,
  -- Tier breakdown, packages, billed events and the provider price the numbers came from.
  details           jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
  PRIMARY KEY (invoice_id, line_number)
);

CREATE FUNCTION refuse_invoice_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'billhub invoices are immutable: % on % is refused', TG_OP, TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER invoices_immutable BEFORE UPDATE OR DELETE ON invoices FOR EACH ROW EXECUTE FUNCTION refuse_invoice_change();
CREATE TRIGGER invoices_not_truncated BEFORE TRUNCATE ON invoices FOR EACH STATEMENT EXECUTE FUNCTION refuse_invoice_change();
CREATE TRIGGER invoice_lines_immutable BEFORE UPDATE OR DELETE ON invoice_lines FOR EACH ROW EXECUTE FUNCTION refuse_invoice_change();
CREATE TRIGGER invoice_lines_not_truncated BEFORE TRUNCATE ON invoice_lines FOR EACH STATEMENT EXECUTE FUNCTION refuse_invoice_change();
