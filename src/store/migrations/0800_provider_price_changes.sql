-- Every change billhub learned of a synced price, at the provider's time of the change. Events
-- arrive in any order and late; provider_price_versions is derived from these rows (equal states
-- in a row merged), so it comes out the same whatever order the changes arrived in, and a late
-- change can be entered in its place. A deletion is kept too (state_hash NULL): it ends the
-- version before it even when it arrived before that version's own event.
CREATE TABLE provider_price_changes (
  provider     text NOT NULL,
  price_id     text NOT NULL,
  changed_at   timestamptz NOT NULL,
  -- provider_price_versions.state_hash of the state from then on; NULL: the price was deleted.
  state_hash   text,
  -- The event (or sync run) that told of the change.
  source       text NOT NULL,
  PRIMARY KEY (provider, price_id, changed_at)
);

-- The changes the stored history already shows: each version's start, and each end that no
-- other version of the price starts at (a deletion).
INSERT INTO provider_price_changes (provider, price_id, changed_at, state_hash, source)
SELECT provider, price_id, valid_from, state_hash, source FROM provider_price_versions
ON CONFLICT DO NOTHING;

INSERT INTO provider_price_changes (provider, price_id, changed_at, state_hash, source)
SELECT v.provider, v.price_id, v.valid_to, NULL, 'migration:0800'
FROM provider_price_versions v
WHERE v.valid_to IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM provider_price_versions n WHERE n.provider = v.provider AND n.price_id = v.price_id AND n.valid_from = v.valid_to)
ON CONFLICT DO NOTHING;

-- A deletion that arrived before anything else about its price left no version, only the
-- price's applied version ('deleted' is the state hash webhooks write for a deleted object).
INSERT INTO provider_price_changes (provider, price_id, changed_at, state_hash, source)
SELECT provider, object_id, version_at, NULL, event_id FROM provider_objects
WHERE object_type = 'price' AND state_hash = 'deleted'
ON CONFLICT DO NOTHING;
