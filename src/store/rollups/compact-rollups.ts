import { BillingError } from "../../core/errors.ts";
import type { Store } from "../types.ts";

/**
 * Most hourly rows one transaction moves (plus the rest of its last customer's: a customer's hours
 * move together), so that none runs into the statement timeout however many customers the hub
 * has or however many hours each holds. Measured on PostgreSQL 15 on a shared 2-core machine, a
 * first compaction of 2,160,000 hourly rows (2,000 customers × 3 meters × half the hours of a
 * month): 43 transactions whose move took 0.41–0.47 s on average and 0.54 s at most (1.9 s at
 * most with the machine loaded to 4.5), 22–26 s in all, 83,000–96,000 rows/s; 100,000 rows per
 * transaction took 0.84 s on average and 1.0 s at most, for no more rows per second. PGlite: about
 * 0.8 s per 50,000. One statement of 1,000 customers' hours (1,080,000 rows) outlasted the 15 s
 * timeout.
 */
const ROWS_PER_STATEMENT = 50_000;

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

/** The hourly rows of the customers in ($1, $2] ($2 null: no upper bound) before the compaction point $3. */
const IN_GROUP = "r.customer_id > $1 AND ($2::text IS NULL OR r.customer_id <= $2) AND r.bucket_start < $3";

/**
 * The customer of the `$3`th hourly row before the compaction point $2 after customer $1's, in key
 * order, or none when fewer are left: a walk of the key index (customer_id, meter, bucket_start)
 * from $1 on, as long as the group it bounds plus the hours at or after the point it steps over
 * (or, when few hours lie before the point, a read of just those by the hour index), never the
 * whole table.
 */
const NEXT_BOUND = `SELECT r.customer_id FROM usage_rollups r WHERE r.customer_id > $1 AND r.bucket_start < $2
  ORDER BY r.customer_id, r.meter, r.bucket_start OFFSET $3::int - 1 LIMIT 1`;

/**
 * Moves the hourly rows of a group (IN_GROUP) into day rows and adds them into month rows, in one
 * statement: the rows are locked in key order first (as record_events() takes them), deleted, and
 * their values merged upward from what the delete returned, so an hour a concurrent record
 * updated moves with its update. The delete repeats the group's range, so that it reads the key
 * index over the group rather than the whole table.
 */
const MOVE_SQL = `WITH doomed AS (
  SELECT r.customer_id, r.meter, r.bucket_start FROM usage_rollups r
   WHERE ${IN_GROUP}
   ORDER BY r.customer_id, r.meter, r.bucket_start FOR UPDATE
), moved AS (
  DELETE FROM usage_rollups r USING doomed d
   WHERE ${IN_GROUP} AND r.customer_id = d.customer_id AND r.meter = d.meter AND r.bucket_start = d.bucket_start
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

export interface CompactionResult {
  /** Day rows exist for days before this instant (UTC midnight); it never moves back. */
  compactedBefore: Date;
  /** Hourly rows moved into day rows. */
  moved: number;
  /**
   * Whether the three tables were vacuumed after the moves: not when nothing moved, nor when the
   * vacuum failed (`vacuumError` then says why). A failed vacuum undoes no move: the rows moved
   * stay moved, and what it would have cleared is cleared by the next compaction that moves rows
   * (or, on PostgreSQL, by autovacuum).
   */
  vacuumed: boolean;
  vacuumError?: Error;
}

export interface CompactionOptions {
  /** Days that end at or before this instant are compacted. */
  before: Date;
  /**
   * About how many hourly rows one transaction moves (default 50,000): a group ends with the
   * customer of its `rowsPerStatement`th row, whose hours all move with it.
   */
  rowsPerStatement?: number;
}

/**
 * Compacts the hourly usage rollups of every UTC day that ends at or before `before` (rounded
 * down to midnight UTC, and never past the database clock's: today's hours are still being
 * recorded) into day rows, each added into its month's row: a month-long window, such
 * as an invoice's, then reads one row per customer × meter. Reads stay exact throughout
 * (0920_usage_rollup_levels.sql says why), and recording goes on meanwhile: the compaction point
 * moves first, then the hours move a group of whole customers at a time, about
 * `rowsPerStatement` rows, each group in a transaction of its own, so a crash leaves some hours
 * hourly, which reads sum as well and the next compaction moves. Then the three tables it
 * rewrote are vacuumed, free of the statement timeout (a vacuum's time grows with the rows moved);
 * a vacuum that fails anyway is reported in the result, not thrown, since every move before it
 * is done. Run it once a day or so (`billhub rollups compact`); it moves only what is not yet moved.
 *
 * @example
 * await compactRollups(store, { before: new Date("2026-10-01T00:00:00Z") })
 * // { compactedBefore: 2026-10-01T00:00:00.000Z, moved: 1000000, vacuumed: true }
 */
export async function compactRollups(store: Store, options: CompactionOptions): Promise<CompactionResult> {
  const { before, rowsPerStatement = ROWS_PER_STATEMENT } = options;
  if (!(before instanceof Date) || Number.isNaN(before.getTime())) {
    throw new BillingError("VALIDATION_FAILED", "compaction needs a valid `before` date", { field: "before" });
  }
  if (!Number.isSafeInteger(rowsPerStatement) || rowsPerStatement < 1) {
    throw new BillingError("VALIDATION_FAILED", `Expected \`rowsPerStatement\` to be a positive integer, got ${String(rowsPerStatement)}`, { field: "rowsPerStatement" });
  }
  const { rows } = await store.query<{ compacted_before: Date }>(
    `UPDATE usage_rollup_compaction SET compacted_before = GREATEST(compacted_before, date_trunc('day', LEAST($1::timestamptz, now()), 'UTC')) RETURNING compacted_before`,
    [before.toISOString()],
  );
  const compactedBefore = rows[0]!.compacted_before;
  // The point as a parameter rather than read in each statement: the planner then estimates the
  // hours before it from the table's statistics. It only moves forward, so every day before it
  // stays compactable while a concurrent compaction moves it further.
  const point = compactedBefore.toISOString();
  // Without statistics (PGlite gathers none by itself, and a table just filled has none yet) the
  // planner takes the hourly table for a few pages and finds each group's bound by scanning and
  // sorting every hour before the point instead of walking the key index: 43 sorts of 2.16 M
  // hours. ANALYZE samples a fixed number of rows (0.35 s for those 2.16 M on PostgreSQL).
  await store.query("ANALYZE usage_rollups");
  let moved = 0;
  for (let after: string | null = ""; after !== null; ) {
    const from: string = after;
    const group = await store.transaction(async (tx) => {
      // Compiling a group's statements (JIT, once the planner's cost passes its threshold)
      // costs more than it saves: a move of one day's hours of 1,000 customers spent 0.58 s of
      // its 0.75 s compiling on PostgreSQL.
      await tx.query("SET LOCAL jit = off");
      // The last group is open-ended: fewer than rowsPerStatement rows are left after `from`.
      const bound = (await tx.query<{ customer_id: string }>(NEXT_BOUND, [from, point, rowsPerStatement])).rows[0]?.customer_id ?? null;
      const { rows: done } = await tx.query<{ moved: number }>(MOVE_SQL, [from, bound, point]);
      return { bound, moved: done[0]!.moved };
    });
    moved += group.moved;
    after = group.bound;
  }
  // The moved rows stay in the hourly table's key index, to be stepped over by every read of
  // those customers, and the day and month rows updated in place leave their old versions behind
  // (every compaction updates each active customer × meter's month row), until a vacuum clears
  // them: PGlite runs no autovacuum. VACUUM runs outside a transaction, and not under the
  // statement timeout: it took 3.2–3.8 s after 2,160,000 rows moved, so five times as many could
  // have it cancelled after every row had moved.
  if (moved === 0) return { compactedBefore, moved, vacuumed: false };
  try {
    await store.maintain("VACUUM usage_rollups, usage_rollup_days, usage_rollup_months");
    return { compactedBefore, moved, vacuumed: true };
  } catch (error) {
    return { compactedBefore, moved, vacuumed: false, vacuumError: error instanceof Error ? error : new Error(String(error)) };
  }
}
