-- What still has to reach each provider: one row per (ledger event, provider), written in the same
-- transaction as the ledger row, so usage acknowledged to a caller is always queued. Forwarders
-- claim due rows with FOR UPDATE SKIP LOCKED and never delete them (dead rows can be replayed).
-- The event reference is the transaction id, which is also the provider's idempotency key.
-- No foreign key to usage_events: rows are only written from the ledger insert's RETURNING, and a
-- foreign key into a time-partitioned ledger would need the partition key in the reference.
CREATE TABLE usage_outbox (
  transaction_id  text NOT NULL,
  -- Carried so that the outbox distributes by customer together with the ledger.
  customer_id     text NOT NULL,
  provider        text NOT NULL CHECK (provider IN ('stripe', 'flowglad')),
  role            text NOT NULL CHECK (role IN ('primary', 'mirror')),
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  delivered_at    timestamptz,
  -- already_delivered: the provider answered that it had this transaction id (a resend after a crash).
  outcome         text CHECK (outcome IN ('delivered', 'already_delivered')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_id, provider),
  CHECK ((status = 'delivered') = (delivered_at IS NOT NULL AND outcome IS NOT NULL))
);

-- The forwarder's claim: due pending rows, oldest first.
CREATE INDEX usage_outbox_due ON usage_outbox (next_attempt_at) WHERE status = 'pending';
