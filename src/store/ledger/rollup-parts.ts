import type { Aggregation } from "../../core/catalog/index.ts";

/** The aggregations that merge exactly from hourly rollups (unique_count would need the distinct values). */
export type RollupAggregation = Exclude<Aggregation, "unique_count">;

export const isRollupAggregation = (aggregation: Aggregation): aggregation is RollupAggregation => aggregation !== "unique_count";

/**
 * The coarsest rollup level a read may take a row of: a part must lie inside one of its buckets
 * (an hour bucket cannot be served by a day row, a week bucket by a month row).
 */
export type RollupLevel = "hour" | "day" | "month";

/** The first whole UTC `unit` boundary at or after `at` (a SQL expression); ±infinity stays itself. */
const ceiling = (unit: string, at: string) =>
  `CASE WHEN date_trunc('${unit}', ${at}, 'UTC') = ${at} THEN ${at} ELSE date_trunc('${unit}', ${at}, 'UTC') + interval '1 ${unit}' END`;

/**
 * Windows as `c`, each split into what is read from where (see windowParts): the ledger's events
 * in [from_at, e1) and [h_hi, to_at), hourly rows in [e1, h_hi), day rows in [d1_lo, d1_hi) and
 * [d2_lo, d2_hi), month rows in [m_lo, m_hi) (an empty range where a level is not used). Whole
 * hours come from the rollups and partial hours from the ledger, as 0900 has it; whole days and
 * months inside the window come from the compacted levels of 0920, up to `level`. A window edge
 * inside a compacted day (one before compacted_before) cannot split by the hour, since that day's
 * hours may sit in its day row: the edge's part of the day comes from the ledger, and the hourly
 * rows there (recorded after the compaction) are left out, as the ledger holds them too.
 * `windows` is a FROM item with the columns customer_id, from_at and to_at. (OFFSET 0 keeps the
 * split a subquery computed once per window, instead of its expressions being copied into every
 * range condition, each with its own lookup of the compaction point.)
 */
export function splitWindows(windows: string, level: RollupLevel): string {
  const days = level === "hour" ? "false" : "b.d_lo < b.d_hi";
  const months = level === "month" ? "b.m_lo < b.m_hi" : "false";
  const bounds = `SELECT w.customer_id, w.from_at, w.to_at, ${ceiling("hour", "w.from_at")} AS lo, date_trunc('hour', w.to_at, 'UTC') AS hi,
                 ${ceiling("day", "w.from_at")} AS d_lo, date_trunc('day', w.to_at, 'UTC') AS d_hi,
                 ${ceiling("month", "w.from_at")} AS m_lo, date_trunc('month', w.to_at, 'UTC') AS m_hi,
                 (SELECT k.compacted_before FROM usage_rollup_compaction k WHERE k.singleton) AS k
            FROM ${windows}`;
  const used = `SELECT b.*, ${days} AS days, ${months} AS months FROM (${bounds}) b`;
  const edges = `SELECT u.*,
                 LEAST(u.to_at, GREATEST(u.lo, CASE WHEN u.days THEN LEAST(u.to_at, u.k, u.d_lo) ELSE LEAST(u.to_at, u.k) END)) AS e1,
                 CASE WHEN u.days AND u.k > u.d_hi THEN u.d_hi ELSE u.hi END AS s2
            FROM (${used}) u`;
  return `(SELECT x.customer_id, x.from_at, x.to_at, x.e1, GREATEST(x.s2, x.e1) AS h_hi,
                 x.m_lo, CASE WHEN x.months THEN x.m_hi ELSE x.m_lo END AS m_hi,
                 x.d_lo AS d1_lo, CASE WHEN NOT x.days THEN x.d_lo WHEN x.months THEN x.m_lo ELSE x.d_hi END AS d1_hi,
                 CASE WHEN x.days AND x.months THEN x.m_hi ELSE x.d_hi END AS d2_lo, x.d_hi AS d2_hi
            FROM (${edges}) x OFFSET 0) AS c`;
}

const MEASURED = "e.kind IN ('usage', 'correction')";

/** An event's columns as a part: what a rollup row of its hour would hold if it were alone in it. */
const EVENT_PART = `e.meter, e.occurred_at, e.quantity, CASE WHEN e.kind = 'usage' THEN 1 ELSE e.quantity END,
                 CASE WHEN ${MEASURED} THEN e.quantity END, CASE WHEN ${MEASURED} THEN e.occurred_at END,
                 CASE WHEN ${MEASURED} THEN e.transaction_id END, CASE WHEN ${MEASURED} THEN e.quantity END`;

/**
 * Rows of a rollup table whose bucket_start lies in [lo, hi). Here and for the ledger's parts, an
 * empty range is tested first, on its own: the planner makes that a one-time filter, so the part
 * is not even looked up (most windows leave most parts empty).
 */
function rollupRows(table: string, meters: string, lo: string, hi: string, who: Customers): string {
  return `SELECT ${who.column("r")}r.meter, r.bucket_start AS at, r.quantity_sum AS sum_q, r.count_value AS count_v, r.measured_max AS max_q,
                 r.last_occurred_at AS last_at, r.last_transaction_id AS last_id, r.last_quantity AS last_q
            FROM ${table} r
           WHERE ${lo} < ${hi} AND ${who.match("r")} AND r.meter = ANY(${meters}) AND r.bucket_start >= ${lo} AND r.bucket_start < ${hi}`;
}

/** Whose rows a part reads: the window's own customer (`c.customer_id`), or a set of customers sharing the window. */
interface Customers {
  column(alias: string): string;
  match(alias: string): string;
}

const windowCustomer: Customers = { column: () => "", match: (alias) => `${alias}.customer_id = c.customer_id` };

const customerSet = (customers: string): Customers => ({ column: (alias) => `${alias}.customer_id, `, match: (alias) => `${alias}.customer_id = ANY(${customers})` });

/**
 * For LATERAL after splitWindows(): the window's partial aggregates, as `p` (meter, at, sum_q,
 * count_v, max_q, last_at, last_id, last_q). One row per rollup row (at = its bucket's start) and
 * one per ledger event in the parts read from the ledger (at = its timestamp), each carrying what
 * the rollup columns carry, so that mergedValueSql() gives what aggregateSql() gives over the
 * whole window's events. Each ledger part is its own range condition on the ledger's
 * customer-time index, which the planner estimates as the narrow range it is (a join with a list
 * of ranges was estimated at a tenth of the customer's events, and a plan that costly is compiled
 * with JIT first: 150 ms for a check that takes one).
 *
 * With `customers` (an SQL array of customer ids), the parts are those of every one of these
 * customers over the one window `c` (its customer_id is not read), each row led by its
 * customer_id: the window is split once for all of them, and each part is one index scan over
 * the set instead of one per customer.
 */
export function windowParts(meters: string, level: RollupLevel, customers?: string): string {
  const who = customers === undefined ? windowCustomer : customerSet(customers);
  const parts: string[] = [];
  if (level === "month") parts.push(rollupRows("usage_rollup_months", meters, "c.m_lo", "c.m_hi", who));
  if (level !== "hour") parts.push(rollupRows("usage_rollup_days", meters, "c.d1_lo", "c.d1_hi", who), rollupRows("usage_rollup_days", meters, "c.d2_lo", "c.d2_hi", who));
  parts.push(
    rollupRows("usage_rollups", meters, "c.e1", "c.h_hi", who),
    `SELECT ${who.column("e")}${EVENT_PART} FROM usage_events e
           WHERE c.from_at < c.e1 AND ${who.match("e")} AND e.occurred_at >= c.from_at AND e.occurred_at < c.e1 AND e.meter = ANY(${meters})`,
    `SELECT ${who.column("e")}${EVENT_PART} FROM usage_events e
           WHERE c.h_hi < c.to_at AND ${who.match("e")} AND e.occurred_at >= c.h_hi AND e.occurred_at < c.to_at AND e.meter = ANY(${meters})`,
  );
  return parts.join("\n          UNION ALL\n          ");
}

function mergedSql(aggregation: RollupAggregation): string {
  switch (aggregation) {
    case "sum":
      return "COALESCE(sum(p.sum_q), 0)";
    case "count":
      return "COALESCE(sum(p.count_v), 0)";
    case "max":
      return "COALESCE(max(p.max_q), 0)";
    case "last":
      return `COALESCE((array_agg(p.last_q ORDER BY p.last_at DESC, p.last_id COLLATE "C" DESC) FILTER (WHERE p.last_at IS NOT NULL))[1], 0)`;
    default: {
      const unknown: never = aggregation;
      throw new Error(`unknown aggregation ${String(unknown)}`);
    }
  }
}

/**
 * The value of a group of windowParts() rows `p`, as text. With several aggregations the group's
 * own is p.aggregation; only the aggregations asked for are computed.
 */
export function mergedValueSql(aggregations: readonly RollupAggregation[]): string {
  const distinct = [...new Set(aggregations)];
  if (distinct.length === 1) return `(${mergedSql(distinct[0]!)})::text`;
  return `CASE p.aggregation ${distinct.map((aggregation) => `WHEN '${aggregation}' THEN (${mergedSql(aggregation)})::text`).join(" ")} END`;
}
