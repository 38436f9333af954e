import type { Sql } from "../types.ts";

/** Stores a reset point; null when the customer does not exist (nothing is written then). */
export async function insertReset(tx: Sql, reset: { customerId: string; feature: string; at: Date; reason: string }): Promise<Date | null> {
  const { rows } = await tx.query<{ reset_at: Date }>(
    `INSERT INTO usage_resets (customer_id, feature, reset_at, reason)
     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM customers WHERE id = $1)
     RETURNING reset_at`,
    [reset.customerId, reset.feature, reset.at.toISOString(), reset.reason],
  );
  return rows[0]?.reset_at ?? null;
}

/** A customer's reset points, newest first, optionally of one feature. */
export async function queryResets(sql: Sql, customerId: string, feature?: string): Promise<Array<{ feature: string; resetAt: Date; reason: string }>> {
  const { rows } = await sql.query<{ feature: string; reset_at: Date; reason: string }>(
    `SELECT feature, reset_at, reason FROM usage_resets
     WHERE customer_id = $1 AND ($2::text IS NULL OR feature = $2) ORDER BY reset_at DESC, id DESC`,
    [customerId, feature ?? null],
  );
  return rows.map((row) => ({ feature: row.feature, resetAt: row.reset_at, reason: row.reason }));
}

/**
 * The latest reset of `feature` before each scope's `before`, for many customers in one round
 * trip (`before` null: any reset). In scope order; null where there is none.
 *
 * @example
 * await latestResets(sql, "api", [{ customerId: "cus_1", before: apr1 }]) // [2026-03-12T09:00:00Z] or [null]
 */
export async function latestResets(sql: Sql, feature: string, scopes: ReadonlyArray<{ customerId: string; before: Date | null }>): Promise<Array<Date | null>> {
  if (scopes.length === 0) return [];
  const { rows } = await sql.query<{ at: Date | null }>(
    `SELECT (SELECT max(r.reset_at) FROM usage_resets r WHERE r.customer_id = s.customer_id AND r.feature = $3 AND r.reset_at < s.before) AS at
       FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS s(customer_id, before, n) ORDER BY s.n`,
    [scopes.map((scope) => scope.customerId), scopes.map((scope) => scope.before?.toISOString() ?? "infinity"), feature],
  );
  return rows.map((row) => row.at);
}
