import type { Sql } from "../types.ts";

/** What one rollup row holds (null where the hour has no usage or correction). */
export interface RollupValues {
  quantitySum: string;
  countValue: string;
  measuredMax: string | null;
  last: { occurredAt: Date; transactionId: string; quantity: string } | null;
}

/**
 * Whether the hour at `bucket` is in a month archived out of the ledger (`billhub ledger
 * archive`): its rollups are all that is left of it, so they are neither compared nor rebuilt.
 */
export const ARCHIVED = (bucket: string) => `EXISTS (SELECT 1 FROM usage_archived_months a WHERE a.month = date_trunc('month', ${bucket}, 'UTC'))`;

/**
 * One customer × meter × bucket whose stored rollup differs from what it should hold; null = no
 * row. An hour is compared with the ledger; a compacted day (one with a day row) as its day row
 * merged with the hourly rows recorded into it since, with the ledger's day; a month row with the
 * merge of its month's day rows (`ledger` is then that merge).
 */
export interface RollupMismatch {
  customerId: string;
  meter: string;
  unit: "hour" | "day" | "month";
  bucket: Date;
  stored: RollupValues | null;
  ledger: RollupValues | null;
}

const COLUMNS = ["quantity_sum", "count_value", "measured_max", "last_occurred_at", "last_transaction_id", "last_quantity"] as const;

/** The stored side (s) and the ledger's side (f) of a row, as columns `s_…` and `f_…`. */
type Side = "s" | "f";
type MismatchRow = { customer_id: string; meter: string; unit: RollupMismatch["unit"]; bucket_start: Date } & Record<string, unknown>;

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

/** Rollup rows `r` of one group merged into one (0900_usage_rollups.sql says how each column merges). */
const MERGED = `sum(r.quantity_sum) AS quantity_sum, sum(r.count_value) AS count_value, max(r.measured_max) AS measured_max,
  (array_agg(r.last_occurred_at ORDER BY r.last_occurred_at DESC, r.last_transaction_id COLLATE "C" DESC) FILTER (WHERE r.last_occurred_at IS NOT NULL))[1] AS last_occurred_at,
  (array_agg(r.last_transaction_id ORDER BY r.last_occurred_at DESC, r.last_transaction_id COLLATE "C" DESC) FILTER (WHERE r.last_occurred_at IS NOT NULL))[1] AS last_transaction_id,
  (array_agg(r.last_quantity ORDER BY r.last_occurred_at DESC, r.last_transaction_id COLLATE "C" DESC) FILTER (WHERE r.last_occurred_at IS NOT NULL))[1] AS last_quantity`;

const VALUES = COLUMNS.join(", ");

/** Whether hourly row `r`'s day was compacted (has a day row). */
const COMPACTED_DAY = "EXISTS (SELECT 1 FROM usage_rollup_days d WHERE d.customer_id = r.customer_id AND d.meter = r.meter AND d.bucket_start = date_trunc('day', r.bucket_start, 'UTC'))";

/**
 * One side's rows at the level RollupMismatch compares them: `hours` are the side's hourly rows,
 * `days` what else its compacted days hold, `months` its month rows.
 */
function levels(hours: string, days: string, months: string): string {
  return `SELECT 'hour' AS unit, r.customer_id, r.meter, r.bucket_start, ${VALUES} FROM ${hours} r WHERE NOT ${COMPACTED_DAY}
   UNION ALL
   SELECT 'day', r.customer_id, r.meter, r.bucket_start, ${MERGED}
     FROM (SELECT r.customer_id, r.meter, date_trunc('day', r.bucket_start, 'UTC') AS bucket_start, ${VALUES} FROM ${hours} r WHERE ${COMPACTED_DAY}
           UNION ALL
           ${days}) r
    GROUP BY r.customer_id, r.meter, r.bucket_start
   UNION ALL
   ${months}`;
}

/**
 * Compares the stored rollups (of every customer, or of one; outside archived months) with a fresh aggregate of the ledger,
 * in one statement, so both sides are read from one snapshot: a consistent store has no mismatch
 * even while events are being recorded or compacted. Numbers compare as values ("1.50" = "1.5").
 *
 * @example
 * await findRollupMismatches(store) // [] when every rollup matches the ledger
 */
export async function findRollupMismatches(sql: Sql, options: { customerId?: string } = {}): Promise<RollupMismatch[]> {
  const only = "WHERE ($1::text IS NULL OR customer_id = $1)";
  const side = (alias: Side) => [`${alias}.customer_id IS NOT NULL AS ${alias}_present`, ...COLUMNS.map((column) => `${alias}.${column}${column.endsWith("_at") || column.endsWith("_id") ? "" : "::text"} AS ${alias}_${column}`)];
  const dayRows = `SELECT r.customer_id, r.meter, r.bucket_start, ${VALUES} FROM usage_rollup_days r ${only}`;
  const stored = levels(`(SELECT * FROM usage_rollups ${only})`, dayRows, `SELECT 'month', r.customer_id, r.meter, r.bucket_start, ${VALUES} FROM usage_rollup_months r WHERE $1::text IS NULL OR r.customer_id = $1`);
  const fresh = levels(
    `(SELECT * FROM usage_rollups_of_ledger('-infinity', 'infinity') ${only})`,
    `${dayRows} AND false`,
    `SELECT 'month', r.customer_id, r.meter, date_trunc('month', r.bucket_start, 'UTC'), ${MERGED} FROM usage_rollup_days r WHERE $1::text IS NULL OR r.customer_id = $1 GROUP BY 2, 3, 4`,
  );
  const { rows } = await sql.query<MismatchRow>(
    `SELECT COALESCE(s.unit, f.unit) AS unit, COALESCE(s.customer_id, f.customer_id) AS customer_id, COALESCE(s.meter, f.meter) AS meter,
            COALESCE(s.bucket_start, f.bucket_start) AS bucket_start, ${[...side("s"), ...side("f")].join(", ")}
       FROM (${stored}) s
       FULL JOIN (${fresh}) f
         ON f.unit = s.unit AND f.customer_id = s.customer_id AND f.meter = s.meter AND f.bucket_start = s.bucket_start
      WHERE NOT ${ARCHIVED("COALESCE(s.bucket_start, f.bucket_start)")}
        AND (s.customer_id IS NULL OR f.customer_id IS NULL
         OR (${COLUMNS.map((column) => `s.${column}`).join(", ")}) IS DISTINCT FROM (${COLUMNS.map((column) => `f.${column}`).join(", ")}))
      ORDER BY 2, 3, 4, 1`,
    [options.customerId ?? null],
  );
  return rows.map((row) => ({ customerId: row.customer_id, meter: row.meter, unit: row.unit, bucket: row.bucket_start, stored: valuesOf(row, "s"), ledger: valuesOf(row, "f") }));
}
