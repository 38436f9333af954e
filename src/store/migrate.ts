import { createHash } from "node:crypto";
import { BillingError } from "../core/errors.ts";
import { migrationFiles } from "./migration-files.ts";
import type { Store } from "./types.ts";

export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

/**
 * The migration files, in order (those of `dir` when given). Each is applied once per schema, in
 * one transaction with the rest.
 */
export async function loadMigrations(dir?: string): Promise<Migration[]> {
  const files = await migrationFiles(dir);
  return files.map(({ name, sql }) => ({ id: name.replace(/\.sql$/, ""), sql, checksum: createHash("sha256").update(sql).digest("hex") }));
}

/**
 * Applies every migration not yet recorded in `billhub_migrations`. Safe to run twice and from
 * several processes at once: a transaction-scoped advisory lock (keyed by schema) lets one
 * process migrate while the others wait and then find nothing left to do. An applied migration
 * whose file has since changed is refused rather than silently skipped.
 */
export async function migrate(store: Store, migrations?: Migration[]): Promise<MigrationReport> {
  const list = migrations ?? (await loadMigrations());
  return store.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`billhub.migrate.${store.schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${store.schema}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${store.schema}.billhub_migrations (
         id text PRIMARY KEY,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await tx.query<{ id: string; checksum: string }>(`SELECT id, checksum FROM ${store.schema}.billhub_migrations`);
    const done = new Map(rows.map((row) => [row.id, row.checksum]));
    const applied: string[] = [];
    for (const migration of list) {
      const checksum = done.get(migration.id);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new BillingError(
            "MIGRATION_FAILED",
            `Migration ${migration.id} was applied with different contents; restore the original file and add a new migration instead`,
          );
        }
        continue;
      }
      try {
        await tx.exec(migration.sql);
      } catch (error) {
        throw new BillingError("MIGRATION_FAILED", `Migration ${migration.id} failed: ${(error as Error).message}`, { cause: error });
      }
      await tx.query(`INSERT INTO ${store.schema}.billhub_migrations (id, checksum) VALUES ($1, $2)`, [migration.id, migration.checksum]);
      applied.push(migration.id);
    }
    return { applied, alreadyApplied: done.size };
  });
}

/** Ids of migrations not yet applied (for `/readyz`): empty means the schema is current. */
export async function pendingMigrations(store: Store, migrations?: Migration[]): Promise<string[]> {
  const list = migrations ?? (await loadMigrations());
  const exists = await store.query<{ present: boolean }>(
    "SELECT to_regclass($1) IS NOT NULL AS present",
    [`${store.schema}.billhub_migrations`],
  );
  if (!exists.rows[0]?.present) return list.map((m) => m.id);
  const { rows } = await store.query<{ id: string }>(`SELECT id FROM ${store.schema}.billhub_migrations`);
  const done = new Set(rows.map((row) => row.id));
  return list.filter((m) => !done.has(m.id)).map((m) => m.id);
}
