import type { LimitOverride } from "../core/entitlements/index.ts";
import type { Sql } from "./types.ts";

interface OverrideRow {
  [key: string]: unknown;
  feature_key: string;
  granted: boolean;
  limit_value: string | null;
}

function toOverride(row: OverrideRow): LimitOverride {
  return { feature: row.feature_key, granted: row.granted, limit: row.limit_value };
}

/**
 * Sets one override per feature named; overrides of other features stay as they are.
 * The caller checks that the customer exists (and holds a transaction across both).
 */
export async function setOverrides(sql: Sql, customerId: string, overrides: readonly LimitOverride[]): Promise<void> {
  for (const override of overrides) {
    await sql.query(
      `INSERT INTO customer_overrides (customer_id, feature_key, granted, limit_value) VALUES ($1, $2, $3, $4)
       ON CONFLICT (customer_id, feature_key) DO UPDATE SET granted = EXCLUDED.granted, limit_value = EXCLUDED.limit_value, updated_at = now()`,
      [customerId, override.feature, override.granted, override.limit],
    );
  }
}

/** Removes the named features' overrides, or all of them when `features` is undefined. Returns how many went. */
export async function clearOverrides(sql: Sql, customerId: string, features?: readonly string[]): Promise<number> {
  const result =
    features === undefined
      ? await sql.query("DELETE FROM customer_overrides WHERE customer_id = $1", [customerId])
      : await sql.query("DELETE FROM customer_overrides WHERE customer_id = $1 AND feature_key = ANY($2::text[])", [customerId, features]);
  return result.rowCount;
}

/** The customer's overrides, by feature. */
export async function listOverrides(sql: Sql, customerId: string): Promise<Record<string, LimitOverride>> {
  const { rows } = await sql.query<OverrideRow>(
    "SELECT feature_key, granted, limit_value::text AS limit_value FROM customer_overrides WHERE customer_id = $1 ORDER BY feature_key",
    [customerId],
  );
  return Object.fromEntries(rows.map((row) => [row.feature_key, toOverride(row)]));
}
