import { join } from "node:path";
import { openPgliteStore } from "../../src/store/pglite-driver.ts";
import type { Store } from "../../src/store/types.ts";
import { DATABASE_URL, migratedDataDir, openTestStore, type TestStore } from "./store.ts";

export interface ProcessStore {
  /** What a billhub process needs to open this store: DATABASE_URL and BILLHUB_SCHEMA, or BILLHUB_DATA_DIR. */
  env: Record<string, string>;
  /**
   * Runs `use` on the store. On PostgreSQL the test's own connection is always open; a PGlite data
   * dir has one user at a time, so it is opened only for `use`, while no billhub process runs.
   */
  withStore<T>(use: (store: Store) => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}

/**
 * The store billhub processes started by a test share: the test's own schema on PostgreSQL when
 * DATABASE_URL is set, otherwise a migrated PGlite data dir under `dir` (so crash tests run on both drivers).
 */
export async function openProcessStore(dir: string): Promise<ProcessStore> {
  if (DATABASE_URL) {
    const store: TestStore = await openTestStore();
    return { env: { DATABASE_URL, BILLHUB_SCHEMA: store.schema }, withStore: (use) => use(store), cleanup: () => store.cleanup() };
  }
  const dataDir = await migratedDataDir(join(dir, "data"));
  return {
    env: { BILLHUB_DATA_DIR: dataDir },
    async withStore(use) {
      const store = await openPgliteStore({ dataDir, schema: "billhub" });
      try {
        return await use(store);
      } finally {
        await store.close();
      }
    },
    cleanup: async () => {},
  };
}
