import { CUSTOMER_COLUMNS, toCustomerRecord, type CustomerRecord, type CustomerRow } from "../customer-repository.ts";
import type { Sql } from "../types.ts";

const NOT_INVOICED = "NOT EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id AND i.period_key = $1)";

/** How many customers a run for the billing month has left, and how many it already invoiced. */
export async function countRunCustomers(sql: Sql, periodKey: string): Promise<{ pending: number; invoiced: number }> {
  const { rows } = await sql.query<{ pending: number; invoiced: number }>(
    `SELECT count(*) FILTER (WHERE ${NOT_INVOICED})::int AS pending, count(*) FILTER (WHERE NOT ${NOT_INVOICED})::int AS invoiced FROM customers c`,
    [periodKey],
  );
  return rows[0]!;
}

/** The next page of customer ids (by id, after `afterId`) without an invoice for the billing month. */
export async function nextRunCustomers(sql: Sql, periodKey: string, afterId: string | null, limit: number): Promise<string[]> {
  const { rows } = await sql.query<{ id: string }>(
    `SELECT c.id FROM customers c WHERE ($2::text IS NULL OR c.id > $2) AND ${NOT_INVOICED} ORDER BY c.id LIMIT $3`,
    [periodKey, afterId, limit],
  );
  return rows.map((row) => row.id);
}

/**
 * Plans the rest of an invoice batch's transaction without JIT compilation: a batch's usage read
 * is one statement over hundreds of customers, which the planner costs high enough to compile
 * (about 350 ms on PostgreSQL for a read that then runs in less), on every batch.
 */
export async function withoutJit(tx: Sql): Promise<void> {
  await tx.query("SET LOCAL jit = off");
}

/**
 * Locks the customers' rows FOR UPDATE, in id order (the order recording takes them in, so the
 * two never deadlock), and returns them as they are now. Recording into these customers waits
 * until the transaction ends, so usage read afterwards is final.
 */
export async function lockCustomerRows(tx: Sql, customerIds: readonly string[]): Promise<CustomerRecord[]> {
  const { rows } = await tx.query<CustomerRow>(`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [customerIds]);
  return rows.map(toCustomerRecord);
}
