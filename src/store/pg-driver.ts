import pg from "pg";
import type { QueryOptions, QueryResult, Row, Sql, Store } from "./types.ts";
import { preparedName } from "./prepared.ts";
import { checkSchemaName, isStoreUnavailable, storeUnavailableError } from "./identifiers.ts";
import { BillingError } from "../core/errors.ts";

export interface PgStoreOptions {
  connectionString: string;
  schema: string;
  /** Pool size; the default suits one service process on a small machine. */
  maxConnections?: number;
  /** Opening a connection or waiting for a free one (default 5 s). */
  connectTimeoutMs?: number;
  /** The server's `statement_timeout` (default 15 s). */
  statementTimeoutMs?: number;
  /** How long to wait for any reply before the connection is given up (default 20 s). */
  queryTimeoutMs?: number;
}

/** Connections idle inside a transaction this long are closed by the server, freeing their locks. */
const IDLE_IN_TRANSACTION_MS = 60_000;

/**
 * How long a maintenance statement (`Store.maintain`) may run: far past what one has needed (the
 * VACUUM after a compaction that moved 2,160,000 hourly rows took 3.2–3.8 s), and the highest
 * statement timeout the config accepts, yet still an end to a wait, such as for a lock held by
 * another VACUUM or a schema change.
 */
const MAINTENANCE_TIMEOUT_MS = 3_600_000;

/**
 * How long a connection's goodbye may take. `end()` sends Terminate and waits for the server to
 * close the connection; a network gone quiet right after the last reply would make that forever
 * (and a process that waits for its sockets would never exit), so past this the socket is dropped.
 * Whatever ran on it has already answered, or is rolled back by the server when the socket goes.
 */
const GOODBYE_MS = 3_000;

type Connected = pg.Client & { connection: { stream: { destroyed: boolean; destroy(): void; once(event: "close", listener: () => void): void } } };

/** Waits for a client told goodbye to be closed by the server, dropping its socket after `ms`. */
async function closedWithin(client: pg.Client, ms: number): Promise<void> {
  const stream = (client as Connected).connection.stream;
  if (stream.destroyed) return;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    stream.once("close", resolve);
    timer = setTimeout(() => {
      stream.destroy();
      resolve();
    }, ms);
  });
  clearTimeout(timer);
}

/** Ends a client; its goodbye may take `ms`. */
async function endWithin(client: pg.Client, ms: number): Promise<void> {
  client.end().catch(() => {});
  await closedWithin(client, ms);
}

/**
 * Ends a pool: waits for the connections in use to be released (their queries have deadlines of
 * their own), then gives each connection's goodbye `ms`. The pool resolves `end()` as soon as it
 * has said goodbye, not when the connections are closed, so the clients are taken before.
 */
async function endPoolWithin(pool: pg.Pool, ms: number): Promise<void> {
  const clients = [...(pool as unknown as { _clients: pg.Client[] })._clients];
  await pool.end();
  await Promise.all(clients.map((client) => closedWithin(client, ms)));
}

const INT8_OID = 20;

/** Same JS types as PGlite: int8 → number while it is safe, bigint past that. */
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID && format !== "binary") {
      return (value: string) => {
        const big = BigInt(value);
        return big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER) ? big : Number(big);
      };
    }
    return pg.types.getTypeParser(oid, format as "text");
  },
};

function unavailable(error: unknown): never {
  if (isStoreUnavailable(error)) {
    throw storeUnavailableError(error);
  }
  // PostgreSQL aborts one side of a deadlock or a serialization conflict; nothing of it was
  // written, and the same request succeeds when tried again.
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "40P01" || code === "40001") {
    throw new BillingError("STORE_UNAVAILABLE", "The database aborted the transaction to resolve a conflict with a concurrent one; nothing was written, try again", { cause: error });
  }
  throw error;
}

function wrap(client: pg.Pool | pg.PoolClient): Sql {
  // A pool runs each query on a connection it checks out and discards when the query fails as
  // unavailable; a checked-out client (a transaction) is discarded by `transaction` below.
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<QueryResult<T>> {
      try {
        // A named statement is parsed once per connection (pg remembers which it has parsed) and
        // its plan kept by the server's plan cache.
        const result =
          options?.prepare === true
            ? await client.query<T>({ name: preparedName(text), text, values: params as unknown[] })
            : await client.query<T>(text, params as unknown[]);
        return { rows: result.rows, rowCount: result.command === "SELECT" ? 0 : (result.rowCount ?? 0) };
      } catch (error) {
        return unavailable(error);
      }
    },
    async exec(text: string): Promise<void> {
      try {
        await client.query(text);
      } catch (error) {
        unavailable(error);
      }
    },
  };
}

/** A real PostgreSQL server through a `pg` pool; every connection's search_path is the schema. */
/** The server's refusals of a connection that only a different DATABASE_URL fixes, with what to change (SQLSTATE → advice). */
const CONNECTION_REFUSALS: Record<string, string> = {
  "3D000": "create that database, or name an existing one in DATABASE_URL",
  "28P01": "check the user and password in DATABASE_URL",
  "28000": "check the user in DATABASE_URL and the server's pg_hba.conf",
  "42501": "give DATABASE_URL's user the right to connect, or use another user",
};

export async function openPgStore(options: PgStoreOptions): Promise<Store> {
  const schema = checkSchemaName(options.schema);
  const connections = options.maxConnections ?? 10;
  const connection = {
    connectionString: options.connectionString,
    options: `-c search_path=${schema},public`,
    application_name: "billhub",
    types,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    // A peer that vanished without a FIN (a cut cable, a dropped VM) is noticed by TCP keepalive
    // on idle connections rather than at the next query.
    keepAlive: true,
  };
  const pool = new pg.Pool({
    ...connection,
    max: connections,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    query_timeout: options.queryTimeoutMs ?? 20_000,
  });
  // Idle clients can lose their server (restart, failover); without a listener that error
  // would crash the process instead of failing the next query.
  pool.on("error", () => {});
  const sql = wrap(pool);
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await endPoolWithin(pool, GOODBYE_MS);
    if (isStoreUnavailable(error)) {
      throw new BillingError("STORE_UNAVAILABLE", `Cannot reach PostgreSQL at DATABASE_URL: ${(error as Error).message}`, { cause: error });
    }
    const refusal = CONNECTION_REFUSALS[(error as { code?: string }).code ?? ""];
    if (refusal !== undefined) {
      throw new BillingError("CONFIG_INVALID", `PostgreSQL at DATABASE_URL refused the connection: ${(error as Error).message}; ${refusal} (store.url).`, { field: "store.url", cause: error });
    }
    throw error;
  }
  return {
    driver: "pg",
    schema,
    connections,
    query: sql.query,
    exec: sql.exec,
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        return unavailable(error);
      }
      let broken = false;
      // While checked out, a client has no pool listener: a connection lost mid-transaction
      // emits 'error' on it, which would end the process. The query in flight fails with the
      // same error, so here it only marks the connection for disposal.
      const onError = () => {
        broken = true;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await fn(wrap(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        // A connection that failed as unavailable (lost, timed out) is never reused: after a
        // read timeout its reply may still arrive and be taken for the next query's.
        if (isStoreUnavailable(error)) broken = true;
        else {
          try {
            await client.query("ROLLBACK");
          } catch {
            broken = true;
          }
        }
        if (isStoreUnavailable(error)) return unavailable(error);
        throw error;
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
    },
    async maintain(text) {
      // A client of its own rather than one of the pool's with the timeout lifted by SET (which
      // would hold for the session, as the statement runs outside a transaction): the timeouts are
      // those it connects with, and it is gone when the statement ends.
      const client = new pg.Client({ ...connection, statement_timeout: MAINTENANCE_TIMEOUT_MS, query_timeout: MAINTENANCE_TIMEOUT_MS + 60_000 });
      // A connection lost mid-statement also fails the statement, which reports it.
      client.on("error", () => {});
      try {
        await client.connect();
        await client.query(text);
      } catch (error) {
        unavailable(error);
      } finally {
        await endWithin(client, GOODBYE_MS);
      }
    },
    close: () => endPoolWithin(pool, GOODBYE_MS),
  };
}
