import { BillingError } from "../../core/errors.ts";
import type { Store } from "../types.ts";

/** Customers whose hourly rows one transaction moves, so that none runs into the statement timeout. */
const CUSTOMERS_PER_STATEMENT = 1000;

/** The merge of rollup rows `r` of one group (0900_usage_rollups.sql says how each column merges). */
const MERGED = `sum(r.quantity_sum), sum(r.count_value), max(r.measured_max),
  (array_agg(r.last_occurred_at ORDER BY r.last_occurred_at DESC, r.last_transaction_id COLLATE "C" DESC) FILTER (WHERE r.last_occurred_at IS NOT NULL))[1],
  (array_agg(r.last_transaction_id ORDER BY r.last_occurred_at DESC, r.last_transaction_id COLLATE "C" DESC) FILTER (WHERE r.last_occurred_at IS NOT NULL))[1],
  (array_agg(r.last_quantity ORDER BY r.last_occurred_at DESC, r.last_transaction_id COLLATE "C" DESC) FILTER (WHERE r.last_occurred_at IS NOT NULL))[1]`;

/** A stored row merged with EXCLUDED, the rows just moved in. */
const MERGE_ON_CONFLICT = `ON CONFLICT (customer_id, meter, bucket_start) DO UPDATE SET
  quantity_sum = r.quantity_sum + EXCLUDED.quantity_sum,
  count_value = r.count_value + EXCLUDED.count_value,
  measured_max = GREATEST(r.measured_max, EXCLUDED.measured_max),
  last_occurred_at = CASE WHEN usage_rollup_newer(EXCLUDED.last_occurred_at, EXCLUDED.last_transaction_id, r.last_occurred_at, r.last_transaction_id) THEN EXCLUDED.last_occurred_at ELSE r.last_occurred_at END,
  last_transaction_id = CASE WHEN usage_rollup_newer(EXCLUDED.last_occurred_at, EXCLUDED.last_transaction_id, r.last_occurred_at, r.last_transaction_id) THEN EXCLUDED.last_transaction_id ELSE r.last_transaction_id END,
  last_quantity = CASE WHEN usage_rollup_newer(EXCLUDED.last_occurred_at, EXCLUDED.last_transaction_id, r.last_occurred_at, r.last_transaction_id) THEN EXCLUDED.last_quantity ELSE r.last_quantity END`;

/**
 * Moves the hourly rows of the customers in ($1, $2] before the compaction point into day rows and
 * adds them into month rows, in one statement: the rows are locked in key order first (as
 * record_events() takes them), deleted, and their values merged upward from what the delete
 * returned, so an hour a concurrent record updated moves with its update.
 */
const MOVE_SQL = `WITH point AS (
  SELECT compacted_before FROM usage_rollup_compaction
), doomed AS (
  SELECT r.customer_id, r.meter, r.bucket_start FROM usage_rollups r, point
   WHERE r.customer_id > $1 AND ($2::text IS NULL OR r.customer_id <= $2) AND r.bucket_start < point.compacted_before
   ORDER BY r.customer_id, r.meter, r.bucket_start FOR UPDATE OF r
), moved AS (
  DELETE FROM usage_rollups r USING doomed d
   WHERE r.customer_id = d.customer_id AND r.meter = d.meter AND r.bucket_start = d.bucket_start
  RETURNING r.*
), days AS (
  INSERT INTO usage_rollup_days AS r
  SELECT r.customer_id, r.meter, date_trunc('day', r.bucket_start, 'UTC') AS day, ${MERGED}
    FROM moved r GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ${MERGE_ON_CONFLICT}
), months AS (
  INSERT INTO usage_rollup_months AS r
  SELECT r.customer_id, r.meter, date_trunc('month', r.bucket_start, 'UTC') AS month, ${MERGED}
    FROM moved r GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ${MERGE_ON_CONFLICT}
)
SELECT count(*)::int AS moved FROM moved`;

/** The customer id `count` customers after `after`, or none when fewer are left. */
const NEXT_BOUND = "SELECT id FROM customers WHERE id > $1 ORDER BY id OFFSET $2 - 1 LIMIT 1";

export interface CompactionResult {
  /** Day rows exist for days before this instant (UTC midnight); it never moves back. */
  compactedBefore: Date;
  /** Hourly rows moved into day rows. */
  moved: number;
}

/**
 * Compacts the hourly usage rollups of every UTC day that ends at or before `before` (rounded
 * down to midnight UTC, and never past the database clock's: today's hours are still being
 * recorded) into day rows, each added into its month's row: a month-long window, such
 * as an invoice's, then reads one row per customer × meter. Reads stay exact throughout
 * (0920_usage_rollup_levels.sql says why), and recording goes on meanwhile: the compaction point
 * moves first, then each group of customers' hours moves in a transaction of its own, so a crash
 * leaves some hours hourly, which reads sum as well and the next compaction moves. Then the hourly
 * table is vacuumed. Run it once a day or so (`billhub rollups compact`); it moves only what is
 * not yet moved.
 *
 * @example
 * await compactRollups(store, { before: new Date("2026-10-01T00:00:00Z") })
 * // { compactedBefore: 2026-10-01T00:00:00.000Z, moved: 1000000 }
 */
export async function compactRollups(store: Store, options: { before: Date }): Promise<CompactionResult> {
  const { before } = options;
  if (!(before instanceof Date) || Number.isNaN(before.getTime())) {
    throw new BillingError("VALIDATION_FAILED", "compaction needs a valid `before` date", { field: "before" });
  }
  const { rows } = await store.query<{ compacted_before: Date }>(
    `UPDATE usage_rollup_compaction SET compacted_before = GREATEST(compacted_before, date_trunc('day', LEAST($1::timestamptz, now()), 'UTC')) RETURNING compacted_before`,
    [before.toISOString()],
  );
  let moved = 0;
  for (let after: string | null = ""; after !== null; ) {
    // The last group is open-ended: it also takes rows of ids past the customers table's last.
    const bound: string | null = (await store.query<{ id: string }>(NEXT_BOUND, [after, CUSTOMERS_PER_STATEMENT])).rows[0]?.id ?? null;
    moved += (await store.transaction((tx) => tx.query<{ moved: number }>(MOVE_SQL, [after, bound]))).rows[0]!.moved;
    after = bound;
  }
  // The moved rows stay in the hourly table's key index, to be stepped over by every read of
  // those customers, until a vacuum clears them (PGlite runs no autovacuum).
  if (moved > 0) await store.query("VACUUM usage_rollups");
  return { compactedBefore: rows[0]!.compacted_before, moved };
}
