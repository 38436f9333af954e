import type { HubConfig } from "../config/schema.ts";
import { IN_MEMORY } from "../config/schema.ts";
import type { Store } from "./types.ts";

/**
 * Opens the store the config names: PostgreSQL when `url` is set, embedded PGlite otherwise.
 * Only the driver in use is loaded: PGlite (its WebAssembly PostgreSQL and the JavaScript
 * around it, about 30 MB of a process) stays out of a process that talks to PostgreSQL.
 */
export async function openStore(config: HubConfig["store"]): Promise<Store> {
  if (config.url !== undefined) {
    const { openPgStore } = await import("./pg-driver.ts");
    return openPgStore({
      connectionString: config.url,
      schema: config.schema,
      maxConnections: config.maxConnections,
      connectTimeoutMs: config.connectTimeoutMs,
      statementTimeoutMs: config.statementTimeoutMs,
      queryTimeoutMs: config.queryTimeoutMs,
    });
  }
  const { openPgliteStore } = await import("./pglite-driver.ts");
  if (config.dataDir === IN_MEMORY) return openPgliteStore({ schema: config.schema });
  return openPgliteStore({ dataDir: config.dataDir, schema: config.schema });
}
