import type { Aggregation } from "../../core/catalog/index.ts";

/** The aggregations that merge exactly from hourly rollups (unique_count would need the distinct values). */
export type RollupAggregation = Exclude<Aggregation, "unique_count">;

export const isRollupAggregation = (aggregation: Aggregation): aggregation is RollupAggregation => aggregation !== "unique_count";

/** The first whole UTC hour boundary at or after `at` (a SQL expression); ±infinity stays itself. */
const hourCeiling = (at: string) => `CASE WHEN date_trunc('hour', ${at}, 'UTC') = ${at} THEN ${at} ELSE date_trunc('hour', ${at}, 'UTC') + interval '1 hour' END`;

/**
 * Windows as `c` (customer_id, from_at, to_at, lo, hi), each with the whole hours it holds:
 * [lo, hi) is read from the rollups, [from_at, lo) and [hi, to_at) from the ledger. `windows` is
 * a FROM item with the columns customer_id, from_at and to_at.
 */
export function splitWindows(windows: string): string {
  return `(SELECT w.customer_id, w.from_at, w.to_at, ${hourCeiling("w.from_at")} AS lo, date_trunc('hour', w.to_at, 'UTC') AS hi FROM ${windows}) AS c`;
}

const MEASURED = "e.kind IN ('usage', 'correction')";

/** An event's columns as a part: what a rollup row of its hour would hold if it were alone in it. */
const EVENT_PART = `e.meter, e.occurred_at, e.quantity, CASE WHEN e.kind = 'usage' THEN 1 ELSE e.quantity END,
                 CASE WHEN ${MEASURED} THEN e.quantity END, CASE WHEN ${MEASURED} THEN e.occurred_at END,
                 CASE WHEN ${MEASURED} THEN e.transaction_id END, CASE WHEN ${MEASURED} THEN e.quantity END`;

/**
 * For LATERAL after splitWindows(): the window's partial aggregates, as `p` (meter, at, sum_q,
 * count_v, max_q, last_at, last_id, last_q). One row per rollup hour (at = the hour) and one per
 * ledger event in the partial hours at either edge (at = its timestamp), each carrying what the
 * rollup columns carry, so that mergedValueSql() gives what aggregateSql() gives over the whole
 * window's events. When the window lies inside one hour, lo > hi: the first edge is the whole
 * window and the second is empty. Each edge is its own range condition on the ledger's
 * customer-time index, which the planner estimates as the narrow range it is (a join with a list
 * of ranges was estimated at a tenth of the customer's events, and a plan that costly is compiled
 * with JIT first: 150 ms for a check that takes one).
 */
export function windowParts(meters: string): string {
  return `SELECT r.meter, r.bucket_start AS at, r.quantity_sum AS sum_q, r.count_value AS count_v, r.measured_max AS max_q,
                 r.last_occurred_at AS last_at, r.last_transaction_id AS last_id, r.last_quantity AS last_q
            FROM usage_rollups r
           WHERE r.customer_id = c.customer_id AND r.meter = ANY(${meters}) AND r.bucket_start >= c.lo AND r.bucket_start < c.hi
          UNION ALL
          SELECT ${EVENT_PART} FROM usage_events e
           WHERE e.customer_id = c.customer_id AND e.occurred_at >= c.from_at AND e.occurred_at < LEAST(c.lo, c.to_at) AND e.meter = ANY(${meters})
          UNION ALL
          SELECT ${EVENT_PART} FROM usage_events e
           WHERE e.customer_id = c.customer_id AND e.occurred_at >= GREATEST(c.hi, c.lo) AND e.occurred_at < c.to_at AND e.meter = ANY(${meters})`;
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
