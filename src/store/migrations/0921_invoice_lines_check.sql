-- The invoice a line belongs to, checked once per statement instead of once per line.
--
-- 0300's foreign key from invoice_lines to invoices ran a trigger per line that looked its invoice
-- up and locked it (FOR KEY SHARE, a write to the invoice's row): 1,500 lookups and locks for a
-- batch of 500 invoices, about 40% of the statement that writes the batch (invoices, lines and
-- period closes in one, src/store/invoices/invoice-repository.ts). What the key guarded against
-- cannot happen otherwise here:
-- - a line without its invoice: the trigger below refuses any statement that inserts one, with the
--   foreign key's error code (23503), whoever writes it;
-- - an invoice deleted or re-keyed under its lines: invoices are never updated, deleted or
--   truncated (0300's triggers refuse it), so there is nothing for the key's lock to hold off.
-- The check runs after the statement, so the invoices that statement inserts beside their lines
-- count. (test/store/invoice-lines.test.ts proves both.)
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_invoice_id_fkey;

CREATE FUNCTION invoice_lines_have_invoices() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  orphan text;
BEGIN
  SELECT l.invoice_id INTO orphan FROM inserted_lines l WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.id = l.invoice_id) LIMIT 1;
  IF orphan IS NOT NULL THEN
    RAISE EXCEPTION 'invoice line of invoice % refused: no such invoice', orphan USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER invoice_lines_have_invoices AFTER INSERT ON invoice_lines
REFERENCING NEW TABLE AS inserted_lines FOR EACH STATEMENT EXECUTE FUNCTION invoice_lines_have_invoices();
