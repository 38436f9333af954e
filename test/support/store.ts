import { randomBytes } from "node:crypto";
import { cp, readFile } from "node:fs/promises";
import { describe, inject } from "vitest";
import { openPgStore } from "../../src/store/pg-driver.ts";
import { openPgliteStore } from "../../src/store/pglite-driver.ts";
import { migrate } from "../../src/store/migrate.ts";
import type { Store } from "../../src/store/types.ts";
import { TEMPLATE_SCHEMA } from "./global-setup.ts";

/** The PostgreSQL server the store-backed tests run against a second time, when set. */
export const DATABASE_URL = process.env.DATABASE_URL;
export const driverName = DATABASE_URL ? "pg" : "pglite";

/** A schema name no other test file uses, so files run in parallel on one database. */
export function uniqueSchema(prefix = "t"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

export interface TestStore extends Store {
  /** Drops the test's schema (PostgreSQL) and closes the store. */
  cleanup(): Promise<void>;
}

/**
 * The store a test file runs on: its own schema on PostgreSQL when DATABASE_URL is set,
 * otherwise an in-memory PGlite loaded from the run's migrated template (see global-setup.ts).
 * Open one per file: even from the template PGlite takes about a second to start.
 * `migrate: false` gives an empty schema. `connectTimeoutMs` (PostgreSQL): how long a query waits
 * for a free connection of the pool; a race test whose callers outnumber the pool's 20 and queue
 * behind one row lock waits longer than the default 5 s on a loaded machine.
 */
export async function openTestStore(options: { migrate?: boolean; connectTimeoutMs?: number } = {}): Promise<TestStore> {
  const migrated = options.migrate !== false;
  const schema = DATABASE_URL || !migrated ? uniqueSchema() : TEMPLATE_SCHEMA;
  const store = DATABASE_URL
    ? await openPgStore({ connectionString: DATABASE_URL, schema, maxConnections: 20, ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }) })
    : await openPgliteStore({ schema, loadDataDir: new Blob([await readFile(inject("pgliteTemplate"))]) });
  if (migrated) await migrate(store);
  return {
    ...store,
    async cleanup() {
      if (store.driver === "pg") await store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await store.close();
    },
  };
}

/**
 * `describe` for behaviour that only real PostgreSQL can show (several connections, several
 * processes). Without DATABASE_URL the block is skipped, and says so on the console.
 */
export function describeOnPostgres(name: string, fn: () => void): void {
  if (!DATABASE_URL) {
    console.warn(`[skipped] "${name}" needs PostgreSQL: run with DATABASE_URL=postgres://127.0.0.1:5432/test`);
  }
  describe.skipIf(!DATABASE_URL)(`${name} [needs DATABASE_URL]`, fn);
}

/**
 * Fills `dataDir` (which must not exist yet) with a PGlite data directory whose `billhub` schema
 * is already migrated, copied from the run's template: a billhub process started on it skips
 * initdb (about 5 s on this machine's cores).
 */
export async function migratedDataDir(dataDir: string): Promise<string> {
  await cp(inject("pgliteDataDirTemplate"), dataDir, { recursive: true, errorOnExist: true, force: false });
  return dataDir;
}

/**
 * A second pool on the test store's schema (PostgreSQL only): another process sharing the
 * database, for race tests. Its callers may wait up to 60 s for one of its 20 connections, as
 * racing callers queued behind one row lock do on a loaded machine.
 */
export function openSecondPool(store: TestStore): Promise<Store> {
  if (!DATABASE_URL) throw new Error("openSecondPool needs PostgreSQL (DATABASE_URL)");
  return openPgStore({ connectionString: DATABASE_URL, schema: store.schema, maxConnections: 20, connectTimeoutMs: 60_000 });
}
