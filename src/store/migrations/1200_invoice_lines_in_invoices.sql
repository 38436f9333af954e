-- An invoice's lines are kept in its own row (invoices.lines, a jsonb array), no longer as rows of
-- their own.
--
-- An invoice run writes a batch of 500 invoices with their ~1,500 lines and the periods they close
-- in one statement (src/store/invoices/invoice-repository.ts). Measured on PostgreSQL, the lines
-- were about half of that statement: 1,500 rows with their primary-key entries, and the statement
-- trigger of 0921 looking each line's invoice up. Lines are written once with their invoice and
-- never changed (0300's triggers refuse it), and are only ever read with it, so they now live in
-- its row: one row and its index entries per invoice. A line is stored as the invoice line billhub
-- returns (camelCase keys, decimals as exact strings, `tiers`, `packages`, `billedEvents` and
-- `price` when present), so reading an invoice parses its lines and nothing else.
--
-- `invoice_lines` stays, as a read-only view with the columns it had, for SQL that reads it.

ALTER TABLE invoices ADD COLUMN lines jsonb NOT NULL DEFAULT '[]'::jsonb;

-- Invoices are immutable (0300): the move below is the one update ever made to them.
ALTER TABLE invoices DISABLE TRIGGER invoices_immutable;
UPDATE invoices i
   SET lines = l.lines
  FROM (SELECT invoice_id,
               jsonb_agg(jsonb_build_object(
                 'lineNumber', line_number, 'chargeKey', charge_key, 'model', model, 'meter', meter,
                 'description', description, 'quantity', quantity::text, 'billableQuantity', billable_quantity::text,
                 'amount', amount, 'exactAmount', exact_amount::text) || details ORDER BY line_number) AS lines
          FROM invoice_lines
         GROUP BY invoice_id) l
 WHERE l.invoice_id = i.id;
ALTER TABLE invoices ENABLE TRIGGER invoices_immutable;

ALTER TABLE invoices ALTER COLUMN lines DROP DEFAULT,
  ADD CONSTRAINT invoices_lines_check CHECK (jsonb_typeof(lines) = 'array' AND jsonb_array_length(lines) = line_count);

DROP TABLE invoice_lines;
DROP FUNCTION invoice_lines_have_invoices();

CREATE VIEW invoice_lines AS
SELECT i.id AS invoice_id,
       (l ->> 'lineNumber')::integer AS line_number,
       l ->> 'chargeKey' AS charge_key,
       l ->> 'model' AS model,
       l ->> 'meter' AS meter,
       l ->> 'description' AS description,
       (l ->> 'quantity')::numeric AS quantity,
       (l ->> 'billableQuantity')::numeric AS billable_quantity,
       (l ->> 'amount')::bigint AS amount,
       (l ->> 'exactAmount')::numeric AS exact_amount,
       l - ARRAY['lineNumber', 'chargeKey', 'model', 'meter', 'description', 'quantity', 'billableQuantity', 'amount', 'exactAmount'] AS details
  FROM invoices i
 CROSS JOIN LATERAL jsonb_array_elements(i.lines) AS l;

CREATE TRIGGER invoice_lines_immutable INSTEAD OF INSERT OR UPDATE OR DELETE ON invoice_lines FOR EACH ROW EXECUTE FUNCTION refuse_invoice_change();
