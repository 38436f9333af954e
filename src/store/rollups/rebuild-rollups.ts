import { ARCHIVED } from "./verify-rollups.ts";
import type { Sql, Store } from "../types.ts";

/** Hourly rollups and the day and month rows compaction moves them into (0920_usage_rollup_levels.sql). */
const ROLLUP_TABLES = ["usage_rollups", "usage_rollup_days", "usage_rollup_months"] as const;

/** Most ledger rows one statement of a rebuild aggregates, so that none runs into the statement timeout. */
const SLICE_EVENTS = 100_000;

/** Every customer with events in the ledger, read off the ledger's index one customer at a time. */
const LEDGER_CUSTOMERS = `WITH RECURSIVE c(id) AS (
  SELECT min(customer_id) FROM usage_events
  UNION ALL
  SELECT (SELECT min(e.customer_id) FROM usage_events e WHERE e.customer_id > c.id) FROM c WHERE c.id IS NOT NULL
) SELECT id FROM c WHERE id IS NOT NULL`;

/**
 * The start of the hour after the customer's next `SLICE_EVENTS` events from `from` on, or null
 * when fewer are left: slices end on whole hours, so no hour's rollup is split between two.
 */
const SLICE_END = `SELECT date_trunc('hour', e.occurred_at, 'UTC') + interval '1 hour' AS slice_end FROM usage_events e
  WHERE e.customer_id = $1 AND e.occurred_at >= $2::timestamptz ORDER BY e.occurred_at OFFSET ${SLICE_EVENTS} LIMIT 1`;

const INSERT_SLICE = `INSERT INTO usage_rollups SELECT * FROM usage_rollups_of_ledger($2::timestamptz, $3::timestamptz) f WHERE customer_id = $1 AND NOT ${ARCHIVED("f.bucket_start")}`;

/** One customer's rollups from its ledger rows, a slice of them per statement; returns the rows written. */
async function rebuildCustomer(tx: Sql, customerId: string): Promise<number> {
  let written = 0;
  let from = "-infinity";
  for (;;) {
    const { rows } = await tx.query<{ slice_end: Date }>(SLICE_END, [customerId, from]);
    const to = rows[0]?.slice_end.toISOString() ?? "infinity";
    written += (await tx.query(INSERT_SLICE, [customerId, from, to])).rowCount;
    if (rows.length === 0) return written;
    from = to;
  }
}

/**
 * Recomputes the hourly usage rollups (outside archived months) from the ledger in one transaction: every customer's, or
 * one customer's (their compacted day and month rows go: reads sum whichever level holds an hour,
 * and the next compaction moves them again). Recording waits meanwhile (all of it: a SHARE lock on the ledger; or that
 * customer's: its row FOR UPDATE, which the record path's FOR KEY SHARE waits for), so no event
 * lands between the recomputation's reads of the ledger and its commit. Returns the number of
 * rollup rows written.
 *
 * @example
 * await rebuildRollups(store, { customerId: "acme" }) // 412
 */
export async function rebuildRollups(store: Store, options: { customerId?: string } = {}): Promise<number> {
  return store.transaction(async (tx) => {
    const { customerId } = options;
    let customers: string[];
    if (customerId === undefined) {
      await tx.query("LOCK TABLE usage_events IN SHARE MODE");
      for (const table of ROLLUP_TABLES) await tx.query(`DELETE FROM ${table} r WHERE NOT ${ARCHIVED("r.bucket_start")}`);
      customers = (await tx.query<{ id: string }>(LEDGER_CUSTOMERS)).rows.map((row) => row.id);
    } else {
      await tx.query("SELECT 1 FROM customers WHERE id = $1 FOR UPDATE", [customerId]);
      for (const table of ROLLUP_TABLES) await tx.query(`DELETE FROM ${table} r WHERE r.customer_id = $1 AND NOT ${ARCHIVED("r.bucket_start")}`, [customerId]);
      customers = [customerId];
    }
    let written = 0;
    for (const id of customers) written += await rebuildCustomer(tx, id);
    return written;
  });
}
