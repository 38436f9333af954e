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
