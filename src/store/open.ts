import type { HubConfig } from "../config/schema.ts";
import { IN_MEMORY } from "../config/schema.ts";
import { openPgStore } from "./pg-driver.ts";
import { openPgliteStore } from "./pglite-driver.ts";
import type { Store } from "./types.ts";

/** Opens the store the config names: PostgreSQL when `url` is set, embedded PGlite otherwise. */
export async function openStore(config: HubConfig["store"]): Promise<Store> {
  if (config.url !== undefined) {
    return openPgStore({
      connectionString: config.url,
      schema: config.schema,
      maxConnections: config.maxConnections,
      connectTimeoutMs: config.connectTimeoutMs,
      statementTimeoutMs: config.statementTimeoutMs,
      queryTimeoutMs: config.queryTimeoutMs,
    });
  }
  if (config.dataDir === IN_MEMORY) return openPgliteStore({ schema: config.schema });
  return openPgliteStore({ dataDir: config.dataDir, schema: config.schema });
}
