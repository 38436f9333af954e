import { randomBytes } from "node:crypto";
import { migrate } from "../../src/store/migrate.ts";
import { openPgStore } from "../../src/store/pg-driver.ts";
import { openPgliteStore } from "../../src/store/pglite-driver.ts";
import type { Store } from "../../src/store/types.ts";
import type { BenchOptions, Figure } from "../types.ts";

export interface BenchStore {
  readonly name: Figure["store"];
  readonly store: Store;
  /** Drops the benchmark's schema and closes the store (the run's PGlite stays open for the next). */
  close(): Promise<void>;
}

/** The stores a run measures on: PGlite always, PostgreSQL too when a URL is given. */
export function storeNames(options: BenchOptions): Array<"pglite" | "postgres"> {
  return options.databaseUrl ? ["pglite", "postgres"] : ["pglite"];
}

/**
 * One embedded database for the whole run: starting PGlite takes seconds, more than most smoke
 * runs take. Benchmarks run one after the other, each in its own schema on it.
 */
let embedded: Promise<Store> | undefined;

async function embeddedStore(schema: string): Promise<Store> {
  embedded ??= openPgliteStore({ schema: "public" });
  const base = await embedded;
  await base.exec(`SET search_path TO ${schema}, public`);
  return { ...base, schema, close: async () => {} };
}

/** A fresh, migrated schema on the named store, dropped again by `close`. */
export async function openBenchStore(name: "pglite" | "postgres", options: BenchOptions): Promise<BenchStore> {
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  const store = name === "postgres" ? await openPgStore({ connectionString: options.databaseUrl!, schema, maxConnections: 4 }) : await embeddedStore(schema);
  const close = async () => {
    await store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await store.close();
  };
  try {
    await migrate(store);
  } catch (error) {
    await close();
    throw error;
  }
  return { name, store, close };
}

/** Runs `fn` once per store of the run, closing (and dropping) each store after. */
export async function perStore(options: BenchOptions, fn: (bench: BenchStore) => Promise<Figure[]>): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const name of storeNames(options)) {
    const bench = await openBenchStore(name, options);
    try {
      figures.push(...(await fn(bench)));
    } finally {
      await bench.close();
    }
  }
  return figures;
}
