import type { Sql } from "../types.ts";

/** A provider object as billhub names it for ordering: `stripe` / `price` / `price_123`. */
export interface ObjectKey {
  provider: string;
  type: string;
  id: string;
}

/** The last applied version of an object. */
export interface ObjectVersion {
  versionAt: Date;
  stateHash: string;
  eventId: string;
}

/** The stored version of the object, or undefined when nothing about it was applied yet. */
export async function readObjectVersion(sql: Sql, key: ObjectKey): Promise<ObjectVersion | undefined> {
  const { rows } = await sql.query<{ version_at: Date; state_hash: string; event_id: string }>(
    "SELECT version_at, state_hash, event_id FROM provider_objects WHERE provider = $1 AND object_type = $2 AND object_id = $3",
    [key.provider, key.type, key.id],
  );
  const row = rows[0];
  return row && { versionAt: row.version_at, stateHash: row.state_hash, eventId: row.event_id };
}

/**
 * Serializes every transaction about one object until the transaction ends (a transaction-scoped
 * advisory lock, so it also covers objects that have no row yet). Keyed by schema, so two hubs
 * sharing a database in different schemas do not wait on each other.
 */
export async function lockObject(sql: Sql, schema: string, key: ObjectKey): Promise<void> {
  await sql.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`billhub.object.${schema}.${key.provider}.${key.type}.${key.id}`]);
}

/** Records the version just applied. Never moves an object's version back in time. */
export async function writeObjectVersion(sql: Sql, key: ObjectKey, version: ObjectVersion): Promise<void> {
  await sql.query(
    `INSERT INTO provider_objects (provider, object_type, object_id, version_at, state_hash, event_id, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (provider, object_type, object_id) DO UPDATE
       SET version_at = EXCLUDED.version_at, state_hash = EXCLUDED.state_hash, event_id = EXCLUDED.event_id, updated_at = now()
       WHERE provider_objects.version_at <= EXCLUDED.version_at`,
    [key.provider, key.type, key.id, version.versionAt, version.stateHash, version.eventId],
  );
}

/**
 * `writeObjectVersion` and the outcome of the event that applied it, in one statement: the last
 * step of applying a change, one round trip instead of two.
 */
export async function writeObjectVersionAndOutcome(
  sql: Sql,
  key: ObjectKey,
  version: ObjectVersion,
  event: { provider: string; outcome: string; error: string | null },
): Promise<void> {
  await sql.query(
    `WITH version AS (
       INSERT INTO provider_objects (provider, object_type, object_id, version_at, state_hash, event_id, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (provider, object_type, object_id) DO UPDATE
         SET version_at = EXCLUDED.version_at, state_hash = EXCLUDED.state_hash, event_id = EXCLUDED.event_id, updated_at = now()
         WHERE provider_objects.version_at <= EXCLUDED.version_at
     )
     UPDATE webhook_events SET outcome = $8, error = $9 WHERE provider = $7 AND event_id = $6`,
    [key.provider, key.type, key.id, version.versionAt, version.stateHash, version.eventId, event.provider, event.outcome, event.error],
  );
}
