-- One row per provider event billhub has seen. The primary key is what makes a redelivery a
-- duplicate; the row is written in the same transaction as the event's effect, so a crash can
-- never leave an event marked applied without what it applied.
CREATE TABLE webhook_events (
  provider     text NOT NULL,
  event_id     text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
  event_type   text NOT NULL,
  -- The object the event is about (price, product, subscription, customer, invoice), when any.
  object_type  text,
  object_id    text,
  -- When the provider says the event happened (Stripe: whole seconds).
  created      timestamptz NOT NULL,
  received_at  timestamptz NOT NULL,
  -- A duplicate delivery is answered without touching the row, so no outcome says "duplicate".
  -- failed, unknown_customer, unmapped_plan and unhandled are processed again when the event is
  -- redelivered (the provider retries a failure; an operator resends the others once fixed).
  outcome      text NOT NULL CHECK (outcome IN ('applied', 'stale', 'ignored', 'failed', 'unknown_customer', 'unmapped_plan', 'unhandled')),
  error        text,
  -- Deliveries that were processed (a failed one is processed again when it is redelivered).
  attempts     integer NOT NULL DEFAULT 1 CHECK (attempts > 0),
  -- billhub's view of the event (the ProviderChange), kept for audits and for later consumers
  -- such as the invoice-items run (invoice.created).
  payload      jsonb,
  PRIMARY KEY (provider, event_id)
);

CREATE INDEX webhook_events_received ON webhook_events (received_at);
CREATE INDEX webhook_events_object ON webhook_events (provider, object_type, object_id);
