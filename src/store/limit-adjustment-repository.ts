import type { LimitAdjustment, Recurrence } from "../core/entitlements/index.ts";
import type { Sql } from "./types.ts";

/** What a caller asks for; `createdAt` is the store's. */
export type LimitAdjustmentWrite = Omit<LimitAdjustment, "createdAt">;

interface AdjustmentRow {
  [key: string]: unknown;
  id: string;
  feature_key: string;
  amount: string;
  recurrence: Recurrence;
  starts_at: Date;
  ends_at: Date | null;
  reason: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

// numeric as text: the driver would hand back the same string, but keep the canonical form explicit.
const COLUMNS = "id, feature_key, amount::text AS amount, recurrence, starts_at, ends_at, reason, metadata, created_at";

function toAdjustment(row: AdjustmentRow): LimitAdjustment {
  return {
    id: row.id,
    feature: row.feature_key,
    amount: row.amount,
    recurrence: row.recurrence,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    reason: row.reason,
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}

/**
 * Inserts the adjustment unless one with its id exists for the customer; returns the stored
 * one and whether it was new. The caller compares contents to tell a retry from a conflict.
 */
export async function insertAdjustment(sql: Sql, customerId: string, write: LimitAdjustmentWrite): Promise<{ adjustment: LimitAdjustment; created: boolean }> {
  const inserted = await sql.query<AdjustmentRow>(
    `INSERT INTO limit_adjustments (customer_id, id, feature_key, amount, recurrence, starts_at, ends_at, reason, metadata)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
     ON CONFLICT (customer_id, id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [customerId, write.id, write.feature, write.amount, write.recurrence, write.startsAt, write.endsAt, write.reason, JSON.stringify(write.metadata)],
  );
  if (inserted.rows[0]) return { adjustment: toAdjustment(inserted.rows[0]), created: true };
  const existing = await findAdjustment(sql, customerId, write.id);
  return { adjustment: existing!, created: false };
}

export async function findAdjustment(sql: Sql, customerId: string, id: string): Promise<LimitAdjustment | undefined> {
  const { rows } = await sql.query<AdjustmentRow>(`SELECT ${COLUMNS} FROM limit_adjustments WHERE customer_id = $1 AND id = $2`, [customerId, id]);
  return rows[0] && toAdjustment(rows[0]);
}

/**
 * Ends an adjustment at `at` (or keeps an earlier end). One that has not started yet ends at its
 * start, so it never counts. The row stays, so the id is not reused. Undefined when there is none.
 */
export async function endAdjustment(sql: Sql, customerId: string, id: string, at: Date): Promise<LimitAdjustment | undefined> {
  const { rows } = await sql.query<AdjustmentRow>(
    `UPDATE limit_adjustments SET ends_at = GREATEST(starts_at, LEAST(COALESCE(ends_at, $3), $3))
     WHERE customer_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
    [customerId, id, at],
  );
  return rows[0] && toAdjustment(rows[0]);
}

/** The customer's adjustments, oldest start first; with `openAt`, only those not ended by then. */
export async function listAdjustments(sql: Sql, customerId: string, options: { feature?: string; openAt?: Date } = {}): Promise<LimitAdjustment[]> {
  const { rows } = await sql.query<AdjustmentRow>(
    `SELECT ${COLUMNS} FROM limit_adjustments
     WHERE customer_id = $1 AND ($2::text IS NULL OR feature_key = $2) AND ($3::timestamptz IS NULL OR ends_at IS NULL OR ends_at > $3)
     ORDER BY starts_at, id`,
    [customerId, options.feature ?? null, options.openAt ?? null],
  );
  return rows.map(toAdjustment);
}
