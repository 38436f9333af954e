import type { Sql } from "../types.ts";

/** What one rollup row holds (null where the hour has no usage or correction). */
export interface RollupValues {
  quantitySum: string;
  countValue: string;
  measuredMax: string | null;
  last: { occurredAt: Date; transactionId: string; quantity: string } | null;
}

/** One customer × meter × hour whose stored rollup differs from the ledger's; null = no row. */
export interface RollupMismatch {
  customerId: string;
  meter: string;
  hour: Date;
  stored: RollupValues | null;
  ledger: RollupValues | null;
}

const COLUMNS = ["quantity_sum", "count_value", "measured_max", "last_occurred_at", "last_transaction_id", "last_quantity"] as const;

/** The stored side (s) and the ledger's side (f) of a row, as columns `s_…` and `f_…`. */
type Side = "s" | "f";
type MismatchRow = { customer_id: string; meter: string; bucket_start: Date } & Record<string, unknown>;

function valuesOf(row: MismatchRow, side: Side): RollupValues | null {
  const column = (name: string) => row[`${side}_${name}`] as string | null;
  if (row[`${side}_present`] !== true) return null;
  const at = row[`${side}_last_occurred_at`] as Date | null;
  return {
    quantitySum: column("quantity_sum")!,
    countValue: column("count_value")!,
    measuredMax: column("measured_max"),
    last: at === null ? null : { occurredAt: at, transactionId: column("last_transaction_id")!, quantity: column("last_quantity")! },
  };
}

/**
 * Whether the hour at `bucket` is in a month archived out of the ledger (`billhub ledger
 * archive`): its rollups are all that is left of it, so they are neither compared nor rebuilt.
 */
export const ARCHIVED = (bucket: string) => `EXISTS (SELECT 1 FROM usage_archived_months a WHERE a.month = date_trunc('month', ${bucket}, 'UTC'))`;

/**
 * Compares the stored rollups (of every customer, or of one; outside archived months) with a fresh aggregate of the ledger,
 * in one statement, so both sides are read from one snapshot: a consistent store has no mismatch
 * even while events are being recorded. Numbers compare as values ("1.50" = "1.5").
 *
 * @example
 * await findRollupMismatches(store) // [] when every rollup matches the ledger
 */
export async function findRollupMismatches(sql: Sql, options: { customerId?: string } = {}): Promise<RollupMismatch[]> {
  const only = options.customerId === undefined ? "" : " WHERE customer_id = $1";
  const side = (alias: Side) => [`${alias}.customer_id IS NOT NULL AS ${alias}_present`, ...COLUMNS.map((column) => `${alias}.${column}${column.endsWith("_at") || column.endsWith("_id") ? "" : "::text"} AS ${alias}_${column}`)];
  const { rows } = await sql.query<MismatchRow>(
    `SELECT COALESCE(s.customer_id, f.customer_id) AS customer_id, COALESCE(s.meter, f.meter) AS meter, COALESCE(s.bucket_start, f.bucket_start) AS bucket_start,
            ${[...side("s"), ...side("f")].join(", ")}
       FROM (SELECT * FROM usage_rollups${only}) s
       FULL JOIN (SELECT * FROM usage_rollups_of_ledger('-infinity', 'infinity')${only}) f
         ON f.customer_id = s.customer_id AND f.meter = s.meter AND f.bucket_start = s.bucket_start
      WHERE NOT ${ARCHIVED("COALESCE(s.bucket_start, f.bucket_start)")}
        AND (s.customer_id IS NULL OR f.customer_id IS NULL
         OR (${COLUMNS.map((column) => `s.${column}`).join(", ")}) IS DISTINCT FROM (${COLUMNS.map((column) => `f.${column}`).join(", ")}))
      ORDER BY 1, 2, 3`,
    options.customerId === undefined ? [] : [options.customerId],
  );
  return rows.map((row) => ({ customerId: row.customer_id, meter: row.meter, hour: row.bucket_start, stored: valuesOf(row, "s"), ledger: valuesOf(row, "f") }));
}
