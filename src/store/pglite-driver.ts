import { PGlite, types } from "@electric-sql/pglite";
import { BillingError } from "../core/errors.ts";
import type { QueryOptions, QueryResult, Row, Sql, Store } from "./types.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { checkSchemaName } from "./identifiers.ts";
import { preparedName, sqlLiteral } from "./prepared.ts";
import { makeDataDirPrivate, makeFilesPrivate } from "./private-data-dir.ts";

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

/** Strings at least this long go to a `text` or `json` parameter as their UTF-8 bytes. */
const BYTES_FROM = 2048;
const utf8 = new TextEncoder();

/**
 * A parameter serializer that sends a long string as its UTF-8 bytes, anything else as `fallback`
 * does. (PGlite's type says a serializer returns a string; bytes it passes on in the binary format.)
 */
function longStringsAsBytes(fallback: (value: unknown) => string): (value: unknown) => string {
  return (value) => (typeof value === "string" && value.length >= BYTES_FROM ? (utf8.encode(value) as unknown as string) : fallback(value));
}

/**
 * PGlite writes a string parameter into its protocol message after counting its UTF-8 bytes in a
 * JavaScript loop, a character at a time: an invoice batch's lines (~400 KB of JSON) took ~7 ms of
 * its ~28 ms statement that way. Bytes go in as they are, in the binary format, which for `text`
 * and `json` is the UTF-8 text itself (the server checks its encoding as it checks a string's).
 * Only those two types: the binary format of the others (`jsonb`, arrays, numbers) is not their text.
 */
const TEXT_AS_BYTES = {
  serializers: {
    [types.TEXT]: longStringsAsBytes(types.serializers[types.TEXT]!),
    [types.JSON]: longStringsAsBytes(types.serializers[types.JSON]!),
  },
};

/** Prepared statements of one PGlite session: ready to EXECUTE, or being prepared by a call in flight. */
interface PreparedStatements {
  ready: Set<string>;
  preparing: Set<string>;
}

/**
 * PGlite's query() always uses the unnamed statement, parsed and planned afresh each time, so a
 * prepared one goes through PREPARE and EXECUTE, with its parameters as literals. A PREPARE is not
 * undone by a rollback (prepared statements belong to the session). While one call prepares a
 * statement, others with the same text run it unprepared rather than wait for it: that PREPARE may
 * itself be waiting for the transaction they run in (PGlite runs one transaction at a time), and
 * preparing it twice would fail.
 */
function wrap(db: PgliteLike, prepared: PreparedStatements): Sql {
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<QueryResult<T>> {
      if (options?.prepare === true) {
        const name = preparedName(text);
        if (!prepared.ready.has(name) && !prepared.preparing.has(name)) {
          prepared.preparing.add(name);
          try {
            await db.query(`PREPARE ${name} AS ${text}`);
            prepared.ready.add(name);
          } finally {
            prepared.preparing.delete(name);
          }
        }
        if (prepared.ready.has(name)) {
          const result = await db.query<T>(params.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${params.map(sqlLiteral).join(", ")})`);
          return { rows: result.rows, rowCount: result.affectedRows ?? 0 };
        }
      }
      const result = await db.query<T>(text, params as unknown[], TEXT_AS_BYTES);
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
 *
 * A data directory belongs to one process: PGlite keeps pages in memory and knows nothing of
 * other openers, so a second one would read stale data and the last to write would erase the
 * other's writes. The directory is therefore locked while open (a second opener gets
 * STORE_LOCKED naming the holder) and kept private to its owner (0700).
 */
export async function openPgliteStore(options: PgliteStoreOptions): Promise<Store> {
  const schema = checkSchemaName(options.schema);
  const { dataDir, loadDataDir } = options;
  if (dataDir === undefined || isPgliteUrl(dataDir)) {
    return pgliteStore(await PGlite.create({ ...(dataDir === undefined ? {} : { dataDir }), ...(loadDataDir === undefined ? {} : { loadDataDir }) }), schema);
  }
  const tightenFiles = await makeDataDirPrivate(dataDir).catch((error: unknown) => {
    throw unusableDataDir(dataDir, error);
  });
  const lock = await lockDataDir(dataDir);
  let db: PGlite | undefined;
  try {
    db = await PGlite.create({ dataDir, ...(loadDataDir === undefined ? {} : { loadDataDir }) });
    if (tightenFiles) await makeFilesPrivate(dataDir);
    const store = await pgliteStore(db, schema);
    return {
      ...store,
      async close() {
        try {
          await store.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    await db?.close().catch(() => {});
    lock.release();
    throw error;
  }
}

/** Errors of the file system that a different data directory fixes (permissions, a file in the way, a full or read-only disk). */
const DIRECTORY_PROBLEMS = new Set(["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST", "ENOSPC", "ELOOP", "ENAMETOOLONG"]);

/** A data directory that cannot be created or used, as one line naming the setting to change; other errors as they are. */
function unusableDataDir(dataDir: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined || !DIRECTORY_PROBLEMS.has(code)) return error;
  return new BillingError(
    "CONFIG_INVALID",
    `Cannot use ${dataDir} for the embedded store (${(error as Error).message}); set BILLHUB_DATA_DIR (store.dataDir) to a directory this user may create and write, or DATABASE_URL to use PostgreSQL.`,
    { field: "store.dataDir", cause: error },
  );
}

/** `memory://`, `idb://...`: PGlite's own stores, not a directory of this machine's to lock. */
function isPgliteUrl(dataDir: string): boolean {
  return /^(memory|idb|opfs-ahp):\/\//.test(dataDir);
}

/** Statements prepared per instance: several stores (schemas) may share one instance's session. */
const preparedOn = new WeakMap<PGlite, PreparedStatements>();

/** The store on an open PGlite instance (closing the store closes the instance). */
export async function pgliteStore(db: PGlite, schema: string): Promise<Store> {
  checkSchemaName(schema);
  // wal_init_zero off: PGlite runs PostgreSQL as a single process without a checkpointer, so
  // every 16 MB of WAL opens a new segment file, and zero-filling it (the default) stalled
  // whichever commit crossed the boundary by 0.1–0.4 s on its in-memory file system. The zeros
  // only reserve disk space ahead (PostgreSQL's documentation suggests turning them off on
  // copy-on-write file systems); nothing depends on them: off, only the last byte is written.
  await db.exec(`SET search_path TO ${schema}, public; SET wal_init_zero = off`);
  const prepared = preparedOn.get(db) ?? { ready: new Set<string>(), preparing: new Set<string>() };
  preparedOn.set(db, prepared);
  const sql = wrap(db, prepared);
  return {
    driver: "pglite",
    schema,
    connections: 1,
    query: sql.query,
    exec: sql.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx, prepared))),
    // PGlite sets no statement timeout: there is none to lift.
    async maintain(text) {
      await db.query(text);
    },
    close: () => db.close(),
  };
}
