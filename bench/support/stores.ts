import { PGlite } from "@electric-sql/pglite";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { migrate } from "../../src/store/migrate.ts";
import { openPgStore } from "../../src/store/pg-driver.ts";
import { pgliteStore } from "../../src/store/pglite-driver.ts";
import type { Store } from "../../src/store/types.ts";
import type { BenchOptions, Figure } from "../types.ts";

/** Rows for one table, in COPY's text format (tab-separated, one row a line). */
export interface CopyRows {
  table: string;
  columns: readonly string[];
  text: string;
}

export interface BenchStore {
  readonly name: Figure["store"];
  readonly store: Store;
  /**
   * `COPY … FROM` of each table's rows, in one transaction: PostgreSQL's bulk load, a baseline
   * below any INSERT (PGlite reads the rows from a blob, `pg` through pg-copy-streams on a
   * connection of its own).
   */
  copyIn(tables: readonly CopyRows[]): Promise<void>;
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
let embedded: Promise<{ db: PGlite; store: Store }> | undefined;

async function embeddedStore(schema: string): Promise<{ db: PGlite; store: Store }> {
  embedded ??= PGlite.create().then(async (db) => ({ db, store: await pgliteStore(db, "public") }));
  const { db, store } = await embedded;
  await store.exec(`SET search_path TO ${schema}, public`);
  return { db, store: { ...store, schema, close: async () => {} } };
}

/**
 * An embedded database of its own, for a benchmark that keeps several schemas in use at once:
 * on the shared one they would share its session's search_path and prepared statements.
 */
async function ownEmbeddedStore(schema: string): Promise<{ db: PGlite; store: Store }> {
  const db = await PGlite.create();
  const store = await pgliteStore(db, "public");
  await store.exec(`SET search_path TO ${schema}, public`);
  return { db, store: { ...store, schema } };
}

const copyStatement = ({ table, columns }: CopyRows, source: string) => `COPY ${table} (${columns.join(", ")}) FROM ${source}`;

/** COPY on the run's PGlite: each table's rows as a blob, in one transaction. */
function pgliteCopy(db: PGlite): BenchStore["copyIn"] {
  return async (tables) => {
    await db.transaction(async (tx) => {
      for (const rows of tables) await tx.query(copyStatement(rows, "'/dev/blob'"), [], { blob: new Blob([rows.text]) });
    });
  };
}

/** COPY on PostgreSQL, on a connection of its own (opened on first use) whose search_path is the schema. */
function pgCopy(url: string, schema: string) {
  let client: Promise<pg.Client> | undefined;
  const connect = async () => {
    const opened = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await opened.connect();
    return opened;
  };
  return {
    async copyIn(tables: readonly CopyRows[]): Promise<void> {
      client ??= connect();
      const connection = await client;
      await connection.query("BEGIN");
      try {
        for (const rows of tables) await pipeline(Readable.from([rows.text]), connection.query(copyFrom(copyStatement(rows, "STDIN"))));
        await connection.query("COMMIT");
      } catch (error) {
        await connection.query("ROLLBACK");
        throw error;
      }
    },
    async close(): Promise<void> {
      if (client) await (await client).end();
    },
  };
}

/**
 * A fresh, migrated schema on the named store, dropped again by `close`. On PGlite the schema is
 * on the run's one embedded database, or with `ownDatabase` on one of its own (closed by `close`).
 */
export async function openBenchStore(name: "pglite" | "postgres", options: BenchOptions, { ownDatabase = false } = {}): Promise<BenchStore> {
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  let store: Store;
  let copy: { copyIn: BenchStore["copyIn"]; close(): Promise<void> };
  if (name === "postgres") {
    store = await openPgStore({ connectionString: options.databaseUrl!, schema, maxConnections: 4 });
    copy = pgCopy(options.databaseUrl!, schema);
  } else {
    const embeddedOne = await (ownDatabase ? ownEmbeddedStore : embeddedStore)(schema);
    store = embeddedOne.store;
    copy = { copyIn: pgliteCopy(embeddedOne.db), close: async () => {} };
  }
  const close = async () => {
    await copy.close();
    await store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await store.close();
  };
  try {
    await migrate(store);
  } catch (error) {
    await close();
    throw error;
  }
  return { name, store, copyIn: copy.copyIn, close };
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
