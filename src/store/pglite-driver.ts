import { PGlite } from "@electric-sql/pglite";
import type { QueryResult, Row, Sql, Store } from "./types.ts";
import { checkSchemaName } from "./identifiers.ts";

export interface PgliteStoreOptions {
  /** A directory to persist to (e.g. `./.billhub`); omitted = in memory. */
  dataDir?: string;
  schema: string;
  /**
   * A data directory dumped earlier (`PGlite#dumpDataDir`) to start from instead of an empty
   * cluster: skips initdb, which is most of PGlite's start-up (the test suite starts every file
   * from one migrated copy).
   */
  loadDataDir?: Blob;
}

type PgliteLike = Pick<PGlite, "query" | "exec">;

function wrap(db: PgliteLike): Sql {
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const result = await db.query<T>(text, params as unknown[]);
      return { rows: result.rows, rowCount: result.affectedRows ?? 0 };
    },
    async exec(text: string): Promise<void> {
      await db.exec(text);
    },
  };
}

/**
 * Embedded PostgreSQL (WASM) in this process. One connection: transactions are serialized by
 * PGlite itself, which makes `FOR UPDATE SKIP LOCKED` and advisory locks trivially correct here.
 */
export async function openPgliteStore(options: PgliteStoreOptions): Promise<Store> {
  const schema = checkSchemaName(options.schema);
  const db = await PGlite.create({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
  });
  return pgliteStore(db, schema);
}

/** The store on an open PGlite instance (closing the store closes the instance). */
export async function pgliteStore(db: PGlite, schema: string): Promise<Store> {
  checkSchemaName(schema);
  // wal_init_zero off: PGlite runs PostgreSQL as a single process without a checkpointer, so
  // every 16 MB of WAL opens a new segment file, and zero-filling it (the default) stalled
  // whichever commit crossed the boundary by 0.1–0.4 s on its in-memory file system. The zeros
  // only reserve disk space ahead (PostgreSQL's documentation suggests turning them off on
  // copy-on-write file systems); nothing depends on them: off, only the last byte is written.
  await db.exec(`SET search_path TO ${schema}, public; SET wal_init_zero = off`);
  const sql = wrap(db);
  return {
    driver: "pglite",
    schema,
    query: sql.query,
    exec: sql.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}
