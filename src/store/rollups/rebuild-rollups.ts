import type { Store } from "../types.ts";

/**
 * Recomputes the hourly usage rollups from the ledger in one transaction: every customer's, or
 * one customer's. Recording waits meanwhile (all of it: a SHARE lock on the ledger; or that
 * customer's: its row FOR UPDATE, which the record path's FOR KEY SHARE waits for), so no event
 * lands between the recomputation's read of the ledger and its commit. Returns the number of
 * rollup rows written.
 *
 * @example
 * await rebuildRollups(store, { customerId: "acme" }) // 412
 */
export async function rebuildRollups(store: Store, options: { customerId?: string } = {}): Promise<number> {
  return store.transaction(async (tx) => {
    const { customerId } = options;
    if (customerId === undefined) {
      await tx.query("LOCK TABLE usage_events IN SHARE MODE");
      await tx.query("DELETE FROM usage_rollups");
      return (await tx.query("INSERT INTO usage_rollups SELECT * FROM usage_rollups_of_ledger('-infinity', 'infinity')")).rowCount;
    }
    await tx.query("SELECT 1 FROM customers WHERE id = $1 FOR UPDATE", [customerId]);
    await tx.query("DELETE FROM usage_rollups WHERE customer_id = $1", [customerId]);
    return (await tx.query("INSERT INTO usage_rollups SELECT * FROM usage_rollups_of_ledger('-infinity', 'infinity') WHERE customer_id = $1", [customerId])).rowCount;
  });
}
