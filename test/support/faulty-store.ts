import { BillingError } from "../../src/core/errors.ts";
import type { Sql, Store } from "../../src/store/types.ts";

/**
 * A real store whose database can be made to "go away" for chosen statements: they fail the way
 * the pg driver reports a lost server (STORE_UNAVAILABLE), inside or outside transactions, or as
 * maintenance statements.
 * Everything else runs on the real database.
 *
 * @example
 * const faulty = withStoreFaults(store);
 * faulty.failWhen((sql) => sql.includes("INSERT INTO provider_price_versions"));
 */
export function withStoreFaults(store: Store) {
  let failing: ((text: string) => boolean) | undefined;
  const check = (text: string) => {
    if (failing?.(text)) throw new BillingError("STORE_UNAVAILABLE", "The database is not reachable; try again shortly");
  };
  const wrap = (sql: Sql): Sql => ({
    async query(text, params) {
      check(text);
      return sql.query(text, params);
    },
    async exec(text) {
      check(text);
      return sql.exec(text);
    },
  });
  const wrapped: Store = {
    ...wrap(store),
    driver: store.driver,
    schema: store.schema,
    connections: store.connections,
    transaction: (fn) => store.transaction((tx) => fn(wrap(tx))),
    async maintain(text) {
      check(text);
      return store.maintain(text);
    },
    close: () => store.close(),
  };
  return {
    store: wrapped,
    /** From now on, statements matching `predicate` fail as if the database were down. */
    failWhen(predicate: (text: string) => boolean): void {
      failing = predicate;
    },
    heal(): void {
      failing = undefined;
    },
  };
}
