-- Invoice runs per billing interval: an invoice's period_key is the run it was written by, a month
-- ("2026-10") for monthly plans, a calendar year ("2026") for yearly plans or an ISO week
-- ("2026-W45") for weekly plans. Keys of different intervals never collide, so a customer has at
-- most one invoice per run (UNIQUE (customer_id, period_key) stands); that no instant is billed by
-- two runs is kept by the runs themselves, which leave out what other runs' invoices cover.
ALTER TABLE invoices
  DROP CONSTRAINT invoices_period_key_check,
  ADD CONSTRAINT invoices_period_key_check CHECK (period_key ~ '^[0-9]{4}(-(0[1-9]|1[0-2])|-W(0[1-9]|[1-4][0-9]|5[0-3]))?$');
