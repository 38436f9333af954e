/**
 * The store's whole surface: run a parameterized query, run a function in a transaction, run a
 * maintenance statement.
 * Both drivers (embedded PGlite and `pg`) speak the same PostgreSQL dialect and return the same
 * JS types: numeric → string (exact), int8 → number (bigint past 2^53), timestamptz → Date,
 * json/jsonb → parsed values.
 */
export type Row = Record<string, unknown>;

export interface QueryResult<T extends Row = Row> {
  rows: T[];
  /** Rows inserted, updated or deleted (0 for a SELECT). */
  rowCount: number;
}

/** How one statement is run. */
export interface QueryOptions {
  /**
   * Parse and plan the statement once per connection and reuse it (a server-side prepared
   * statement, named after its text): for hot statements of fixed text, whose planning costs more
   * than running them. The text is the key, so only statements with a handful of variants may
   * ask for it. Parameters are then limited to strings, numbers, booleans, Dates, null and flat
   * arrays of them.
   */
  prepare?: boolean;
}

export interface Sql {
  query<T extends Row = Row>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
  /** Runs several `;`-separated statements without parameters (migrations, DDL). */
  exec(text: string): Promise<void>;
}

export type StoreDriver = "pglite" | "pg";

export interface Store extends Sql {
  readonly driver: StoreDriver;
  /** The schema billhub's tables live in (search_path of every connection). */
  readonly schema: string;
  /**
   * How many transactions can be open at once: 1 on PGlite (one connection, transactions take
   * turns), the pool's size on PostgreSQL. A job that overlaps transactions asks it first.
   */
  readonly connections: number;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * Do not call `transaction` again on the outer store from inside `fn`: use `tx`.
   */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Runs one maintenance statement (VACUUM, which refuses to run in a transaction) outside any
   * transaction and past the statement timeout that bounds every other statement: its time grows
   * with the tables, not with a request. On PostgreSQL it runs on a connection of its own, opened
   * for it beside the pool's and closed after it, and still ends after an hour.
   */
  maintain(text: string): Promise<void>;
  close(): Promise<void>;
}
