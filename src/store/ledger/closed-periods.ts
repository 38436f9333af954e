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
 * `closePeriod` for many customers in two statements: locks their rows FOR UPDATE in id order (as
 * recording locks them, so two batches never deadlock) and inserts every period. Closing a period
 * already closed is a no-op. Throws CUSTOMER_NOT_FOUND naming the first unknown customer.
 *
 * @example
 * await closePeriods(tx, customers.map((c) => ({ customerId: c.id, from: oct1, to: nov1, reference: invoiceIds.get(c.id) })));
 */
export async function closePeriods(tx: Sql, inputs: readonly ClosePeriodInput[]): Promise<void> {
  if (inputs.length === 0) return;
  for (const { from, to } of inputs) {
    if (!(from instanceof Date) || !(to instanceof Date) || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || !(from < to)) {
      throw new BillingError("VALIDATION_FAILED", "a closed period needs valid dates with from < to", { field: "from" });
    }
  }
  const ids = [...new Set(inputs.map((input) => input.customerId))];
  const locked = await tx.query<{ id: string }>("SELECT id FROM customers WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE", [ids]);
  if (locked.rows.length !== ids.length) {
    const found = new Set(locked.rows.map((row) => row.id));
    const missing = ids.find((id) => !found.has(id))!;
    throw new BillingError("CUSTOMER_NOT_FOUND", `customer ${JSON.stringify(missing)} does not exist`, { field: "customerId" });
  }
  await tx.query(
    `INSERT INTO closed_periods (customer_id, period_from, period_to, reference)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::text[])
     ON CONFLICT DO NOTHING`,
    [inputs.map((i) => i.customerId), inputs.map((i) => i.from.toISOString()), inputs.map((i) => i.to.toISOString()), inputs.map((i) => i.reference ?? null)],
  );
}
