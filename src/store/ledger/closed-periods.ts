import { BillingError } from "../../core/errors.ts";
import type { Sql } from "../types.ts";

export interface ClosePeriodInput {
  customerId: string;
  /** Inclusive start of the invoiced period. */
  from: Date;
  /** Exclusive end. */
  to: Date;
  /** What closed it, e.g. the invoice id. */
  reference?: string;
}

/**
 * Marks a customer's period as invoiced: from then on, usage timestamped in [from, to) is refused
 * with PERIOD_CLOSED unless it is recorded as a correction. Call it inside the invoice run's
 * transaction, before reading the period's usage: it locks the customer row FOR UPDATE, which
 * waits for transactions still recording into that customer and holds off new ones until commit,
 * so the usage read afterwards is final. (Lock several customers in id order, as recording does.)
 * Closing the same period again is a no-op; overlapping periods may be closed.
 *
 * @example
 * await store.transaction(async (tx) => {
 *   await closePeriod(tx, { customerId: "cus_1", from: period.from, to: period.to, reference: "inv_7" });
 *   // ...aggregate the period's usage and write the invoice
 * });
 */
export async function closePeriod(tx: Sql, input: ClosePeriodInput): Promise<{ alreadyClosed: boolean }> {
  const { customerId, from, to } = input;
  if (!(from instanceof Date) || !(to instanceof Date) || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || !(from < to)) {
    throw new BillingError("VALIDATION_FAILED", "a closed period needs valid dates with from < to", { field: "from" });
  }
  const locked = await tx.query("SELECT id FROM customers WHERE id = $1 FOR UPDATE", [customerId]);
  if (locked.rows.length === 0) {
    throw new BillingError("CUSTOMER_NOT_FOUND", `customer ${JSON.stringify(customerId)} does not exist`, { field: "customerId" });
  }
  const inserted = await tx.query(
    "INSERT INTO closed_periods (customer_id, period_from, period_to, reference) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    [customerId, from.toISOString(), to.toISOString(), input.reference ?? null],
  );
  return { alreadyClosed: inserted.rowCount === 0 };
}

/**
 * The statement that closes many periods at once, for a writer that puts it in its own statement
 * (the invoice run writes its invoices and closes their periods in one). `rows` is a query of
 * (customer_id, period_from, period_to, reference). Closing a period already closed is a no-op.
 * As with `closePeriod`, the customers' rows must be held FOR UPDATE by the transaction before
 * their usage is read; this statement does not lock them itself.
 *
 * @example
 * closePeriodsSql("SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::text[])")
 */
export function closePeriodsSql(rows: string): string {
  return `INSERT INTO closed_periods (customer_id, period_from, period_to, reference) ${rows} ON CONFLICT DO NOTHING`;
}
