-- What the forwarder needs on outbox rows. A claim pushes next_attempt_at to the end of its lease,
-- so a claimed row is not due while a forwarder works on it and is due again by itself if that
-- forwarder dies: the claim query stays "pending and due", served by usage_outbox_due.
ALTER TABLE usage_outbox
  -- Unique per claim: only the claim that holds a row may settle it, so a forwarder whose lease
  -- ran out cannot overwrite the result of the one that took the row over.
  ADD COLUMN claim_id        text,
  -- Which forwarder (host, process) claimed the row last, for operators.
  ADD COLUMN claimed_by      text,
  -- The first time a request carrying this row may have reached the provider: set when the row is
  -- claimed (a crash mid-send counts) and taken back when the answer proves the provider did not
  -- record it. Resending after the provider's dedupe window (Stripe: 24 h) could count usage
  -- twice, so the forwarder stops resending well before then.
  ADD COLUMN first_sent_at   timestamptz,
  ADD COLUMN last_attempt_at timestamptz,
  -- The BillingError code of last_error (e.g. PROVIDER_RATE_LIMITED), for filtering and replay.
  ADD COLUMN last_error_code text;

-- Dead rows, for listing and replaying them; a partial index costs nothing while rows are pending.
CREATE INDEX usage_outbox_dead ON usage_outbox (created_at, transaction_id, provider) WHERE status = 'dead';
