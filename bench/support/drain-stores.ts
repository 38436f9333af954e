import { randomBytes } from "node:crypto";
import type { Store } from "../../src/store/types.ts";
import { onPostgres, type StoreKind } from "../io-support.ts";
import type { BenchOptions } from "../types.ts";
import { openBenchStore } from "./stores.ts";

/** What a hub of the drain benchmark runs on: its `store` config, and an open store to use instead when there is one. */
export interface DrainStore {
  name: StoreKind;
  config: { url?: string; schema: string; migrate?: boolean };
  open?: Store;
  drop(): Promise<void>;
}

/**
 * A fresh schema for one drain measurement. On PostgreSQL the hub opens its own pool with its
 * default settings, as a forwarder process would. On PGlite it is a schema of the run's one
 * embedded database (support/stores.ts): starting a PGlite cluster took 14–30 s on this machine
 * while it was busy, longer than the smoke run may take.
 */
export async function freshDrainStore(kind: StoreKind, options: BenchOptions): Promise<DrainStore> {
  if (kind === "postgres") {
    const url = options.databaseUrl;
    if (!url) throw new Error("a PostgreSQL store needs DATABASE_URL");
    const schema = `bench_${randomBytes(5).toString("hex")}`;
    return { name: kind, config: { url, schema }, drop: async () => void (await onPostgres(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`)) };
  }
  const bench = await openBenchStore("pglite", options);
  return { name: kind, config: { schema: bench.store.schema, migrate: false }, open: bench.store, drop: () => bench.close() };
}
