-- The version of each provider object billhub last applied: the provider's time of the change
-- that produced it and a hash of the state applied. An event older than `version_at` is stale;
-- one in the same second with a different state is a tie, settled by re-reading the object.
CREATE TABLE provider_objects (
  provider     text NOT NULL,
  object_type  text NOT NULL,
  object_id    text NOT NULL,
  version_at   timestamptz NOT NULL,
  state_hash   text NOT NULL,
  event_id     text NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, object_type, object_id)
);
