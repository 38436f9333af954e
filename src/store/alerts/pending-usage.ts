import { arrayLiteral } from "../array-literal.ts";
import type { Sql } from "../types.ts";

/** Recorded usage of one customer and UTC hour whose alerts are still to be evaluated. */
export interface PendingUsage {
  customerId: string;
  hour: Date;
  /** The first and last timestamps of the hour's events recorded since the last evaluation. */
  firstAt: Date;
  lastAt: Date;
  /** Grows with every record that adds to the row; deletePendingUsage deletes only the version it read. */
  version: string;
}

/**
 * Marks the customers and hours of new events as pending evaluation, in the transaction that
 * records them. One statement; rows are written in key order, so concurrent records lock them
 * in the same order (as they do their rollup rows).
 *
 * @example
 * await markPendingUsage(tx, [{ customerId: "org_42", occurredAt: new Date("2026-03-18T10:12:00Z") }])
 */
export async function markPendingUsage(tx: Sql, events: ReadonlyArray<{ customerId: string; occurredAt: Date }>): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    `INSERT INTO alert_pending_usage (customer_id, hour, first_at, last_at)
     SELECT e.customer_id, date_trunc('hour', e.at, 'UTC'), min(e.at), max(e.at)
       FROM unnest($1::text[], $2::timestamptz[]) AS e(customer_id, at)
      GROUP BY 1, 2
      ORDER BY 1, 2
     ON CONFLICT (customer_id, hour) DO UPDATE
        SET first_at = LEAST(alert_pending_usage.first_at, EXCLUDED.first_at),
            last_at = GREATEST(alert_pending_usage.last_at, EXCLUDED.last_at),
            version = nextval('alert_pending_usage_version')`,
    [arrayLiteral(events.map((event) => event.customerId)), arrayLiteral(events.map((event) => event.occurredAt.toISOString()))],
    { prepare: true },
  );
}

/** Pending rows in key order after `after` (exclusive), at most `limit` customers' rows whole. */
export async function pendingUsage(sql: Sql, options: { afterCustomer: string | null; customers: number }): Promise<PendingUsage[]> {
  const { rows } = await sql.query<{ customer_id: string; hour: Date; first_at: Date; last_at: Date; version: string }>(
    `SELECT p.customer_id, p.hour, p.first_at, p.last_at, p.version::text AS version
       FROM (SELECT DISTINCT customer_id FROM alert_pending_usage
              WHERE $1::text IS NULL OR customer_id > $1::text
              ORDER BY customer_id LIMIT $2) c
       JOIN alert_pending_usage p ON p.customer_id = c.customer_id
      ORDER BY p.customer_id, p.hour`,
    [options.afterCustomer, options.customers],
  );
  return rows.map((row) => ({ customerId: row.customer_id, hour: row.hour, firstAt: row.first_at, lastAt: row.last_at, version: row.version }));
}

/**
 * Deletes evaluated rows, each only if no record has added to it since it was read. A row a
 * record is writing right now is skipped, not waited for (waiting, in another order than the
 * record's, could deadlock): that record leaves it for the next evaluation anyway.
 */
export async function deletePendingUsage(sql: Sql, rows: readonly PendingUsage[]): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `DELETE FROM alert_pending_usage
      WHERE (customer_id, hour) IN (
        SELECT p.customer_id, p.hour
          FROM alert_pending_usage p
          JOIN unnest($1::text[], $2::timestamptz[], $3::bigint[]) AS d(customer_id, hour, version)
            ON p.customer_id = d.customer_id AND p.hour = d.hour AND p.version = d.version
           FOR UPDATE OF p SKIP LOCKED)`,
    [arrayLiteral(rows.map((row) => row.customerId)), arrayLiteral(rows.map((row) => row.hour.toISOString())), arrayLiteral(rows.map((row) => row.version))],
  );
}
