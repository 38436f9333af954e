import type { Sql } from "../types.ts";

/** One UTC hour of the hub's usage, every customer together. */
export interface ActivityHour {
  hour: Date;
  /** The hour's usage events (a refund, bonus or correction counts its quantity, as the rollups' count does); exact decimal. */
  events: string;
  /** Customers with at least one event in the hour. */
  customers: number;
}

/**
 * Usage per hour in [from, to) from the hourly rollups, hours without events left out, and the
 * events and customers of the whole span. One row per customer × meter × hour is read, never the ledger.
 *
 * @example
 * await activityByHour(store, dayStart, now) // { hours: [{ hour, events: "1200", customers: 3 }], events: "1450", customers: 5 }
 */
export async function activityByHour(sql: Sql, from: Date, to: Date): Promise<{ hours: ActivityHour[]; events: string; customers: number }> {
  const { rows } = await sql.query<{ hour: Date | null; events: string; customers: number }>(
    `SELECT bucket_start AS hour, sum(count_value)::text AS events, count(DISTINCT customer_id)::int AS customers
     FROM usage_rollups WHERE bucket_start >= $1 AND bucket_start < $2
     GROUP BY GROUPING SETS ((bucket_start), ())
     ORDER BY bucket_start NULLS LAST`,
    [from, to],
  );
  const total = rows.find((row) => row.hour === null);
  return {
    hours: rows.filter((row) => row.hour !== null).map((row) => ({ hour: row.hour!, events: row.events, customers: row.customers })),
    events: total?.events ?? "0",
    customers: total?.customers ?? 0,
  };
}
