-- The record path's write in one call: lock the customers, check closed periods, insert the
-- ledger rows and their outbox rows (src/store/ledger/insert-events.ts calls it).
--
-- Why a function: a batch used to be two statements from the client, the customer lock and the
-- insert, and each was parsed and planned afresh on every call (the embedded store has no
-- client-side prepared statements). PL/pgSQL keeps the plans of its statements per connection,
-- and the two statements cost one round trip.
--
-- Why two statements still: the closed-period check must see a period closed by a transaction
-- the lock waited for. The function is VOLATILE, so under READ COMMITTED each statement in it
-- takes a new snapshot: the insert's snapshot is taken after the lock was granted, and so sees
-- what the closing transaction committed. (One statement would check with the snapshot it took
-- before it waited.)
--
-- Tables and the function resolve through search_path like every other billhub statement, so
-- the function works in whatever schema billhub lives in. Cached plans are replanned when
-- search_path changes.
--
-- Returns, when a customer does not exist: one row (state 'unknown_customer', id = the customer
-- id) per missing customer, and nothing is written. Otherwise: one row ('summary', NULL, now():
-- the recorded_at of every row inserted), then one row per input row that was not inserted, id =
-- its transaction id: 'closed' (a new row in a closed period; then nothing at all was inserted)
-- or 'not_inserted' (its transaction id is stored already, or was being stored concurrently).
CREATE FUNCTION record_events(
  customer_ids_to_lock text[],
  transaction_ids text[],
  customer_ids text[],
  meters text[],
  quantities numeric[],
  occurred_ats timestamptz[],
  timestamps_given boolean[],
  kinds text[],
  reasons text[],
  properties_json jsonb[],
  outbox_transaction_ids text[],
  outbox_providers text[],
  outbox_roles text[]
) RETURNS TABLE (state text, id text, recorded_now timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  locked bigint;
BEGIN
  -- FOR KEY SHARE in id order, held until commit: closing a period takes FOR UPDATE on the same
  -- rows, so no period closes between this call's check and its commit, and two calls that lock
  -- overlapping customers take them in the same order.
  PERFORM c.id FROM customers c WHERE c.id = ANY (customer_ids_to_lock) ORDER BY c.id FOR KEY SHARE;
  GET DIAGNOSTICS locked = ROW_COUNT;
  IF locked < cardinality(customer_ids_to_lock) THEN
    RETURN QUERY SELECT 'unknown_customer'::text, u.id, NULL::timestamptz
      FROM unnest(customer_ids_to_lock) AS u(id)
      WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = u.id);
    RETURN;
  END IF;

  -- Rows inserted in transaction-id order, so concurrent overlapping batches wait on each other
  -- instead of deadlocking; outbox rows only for rows this call inserted, so a duplicate never
  -- gets a second one.
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(transaction_ids, customer_ids, meters, quantities, occurred_ats, timestamps_given, kinds, reasons, properties_json)
      AS i(transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, reason, properties)
  ),
  closed AS (
    SELECT i.transaction_id FROM input i
    WHERE i.kind <> 'correction'
      AND EXISTS (SELECT 1 FROM closed_periods c WHERE c.customer_id = i.customer_id AND c.period_from <= i.occurred_at AND i.occurred_at < c.period_to)
      AND NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.transaction_id = i.transaction_id)
  ),
  inserted AS (
    INSERT INTO usage_events AS e (transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, reason, properties)
    SELECT i.transaction_id, i.customer_id, i.meter, i.quantity, i.occurred_at, i.timestamp_given, i.kind, i.reason, i.properties
    FROM input i
    WHERE NOT EXISTS (SELECT 1 FROM closed)
    ORDER BY i.transaction_id COLLATE "C"
    ON CONFLICT (transaction_id) DO NOTHING
    RETURNING e.transaction_id, e.customer_id
  ),
  queued AS (
    INSERT INTO usage_outbox (transaction_id, customer_id, provider, role)
    SELECT o.transaction_id, ins.customer_id, o.provider, o.role
    FROM unnest(outbox_transaction_ids, outbox_providers, outbox_roles) AS o(transaction_id, provider, role)
    JOIN inserted ins ON ins.transaction_id = o.transaction_id
  )
  SELECT 'summary'::text, NULL::text, now()
  UNION ALL
  SELECT CASE WHEN c.transaction_id IS NULL THEN 'not_inserted' ELSE 'closed' END, i.transaction_id, NULL::timestamptz
  FROM input i LEFT JOIN closed c ON c.transaction_id = i.transaction_id
  WHERE NOT EXISTS (SELECT 1 FROM inserted ins WHERE ins.transaction_id = i.transaction_id);
END
$$;
