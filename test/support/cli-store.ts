import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "../../src/store/migrate.ts";
import { openPgStore } from "../../src/store/pg-driver.ts";
import { openPgliteStore } from "../../src/store/pglite-driver.ts";
import type { Store } from "../../src/store/types.ts";
import { DATABASE_URL, migratedDataDir, uniqueSchema } from "./store.ts";

/** The store an in-process `billhub` command is configured for, and a way for the test to reach it between commands. */
export interface CliStore {
  /** BILLHUB_DATA_DIR (embedded) or DATABASE_URL, and BILLHUB_SCHEMA, for the command. */
  env: Record<string, string>;
  /** Runs `fn` on the command's store, closed afterwards (the embedded store has one opener at a time). */
  onStore<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  /** Drops the schema (PostgreSQL) and removes the data directory. */
  cleanup(): Promise<void>;
}

/** A migrated store for CLI tests: a copied migrated data dir (embedded), or a fresh schema on PostgreSQL. */
export async function openCliStore(prefix: string): Promise<CliStore> {
  const root = await mkdtemp(join(tmpdir(), `billhub-${prefix}-`));
  const dir = await migratedDataDir(join(root, "data"));
  const schema = uniqueSchema(prefix);
  const open = (): Promise<Store> => (DATABASE_URL ? openPgStore({ connectionString: DATABASE_URL, schema }) : openPgliteStore({ dataDir: dir, schema }));
  async function onStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    const store = await open();
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }
  await onStore((store) => migrate(store));
  return {
    env: DATABASE_URL ? { DATABASE_URL, BILLHUB_SCHEMA: schema } : { BILLHUB_DATA_DIR: dir, BILLHUB_SCHEMA: schema },
    onStore,
    async cleanup() {
      if (DATABASE_URL) await onStore((store) => store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
      await rm(root, { recursive: true, force: true });
    },
  };
}
