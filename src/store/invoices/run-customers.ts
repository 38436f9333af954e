import type { CustomerRecord } from "../customer-repository.ts";
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

/** A page of customers in id order: those without an invoice for the run's period, and the page's last id. */
export interface RunCustomerPage {
  ids: string[];
  /** The last customer id the page went through, invoiced or not; null when no customer is left after the cursor. */
  last: string | null;
}

/**
 * The next `limit` customers by id (after `afterId`), less those with an invoice for the period
 * already, each looked up in the invoices' unique (customer, period) index (a LATERAL with LIMIT,
 * which the planner cannot turn into a join). A page may therefore hold fewer ids than `limit`,
 * or none while more pages follow (`last` is then the cursor). Written so because the planner,
 * given `NOT EXISTS … ORDER BY id LIMIT`, merge-joined with every invoice of the period, sorted,
 * on each page: a run sorted a list of invoices growing with every batch it wrote. Without
 * statistics on the customers the range may still be read by a scan and sort of the customers
 * after the cursor, which is why a run reads pages much larger than its batches.
 */
export async function nextRunCustomers(sql: Sql, periodKey: string, afterId: string | null, limit: number): Promise<RunCustomerPage> {
  const { rows } = await sql.query<{ id: string; invoiced: boolean }>(
    `SELECT p.id, i.invoiced IS NOT NULL AS invoiced
       FROM (SELECT c.id FROM customers c WHERE c.id > $2 ORDER BY c.id LIMIT $3) p
       LEFT JOIN LATERAL (SELECT true AS invoiced FROM invoices i WHERE i.customer_id = p.id AND i.period_key = $1 LIMIT 1) i ON true
      ORDER BY p.id`,
    [periodKey, afterId ?? "", limit],
  );
  return { ids: rows.filter((row) => !row.invoiced).map((row) => row.id), last: rows[rows.length - 1]?.id ?? null };
}

/** A customer as an invoice run reads it: its billing cycle and when it became a customer (its plans come from its plan history). */
export type RunCustomer = Pick<CustomerRecord, "id" | "periodStart" | "periodEnd" | "createdAt">;

/**
 * Locks the customers' rows FOR UPDATE, in id order (the order recording takes them in, so the
 * two never deadlock), and returns what the run reads of them as they are now. Recording into
 * these customers waits until the transaction ends, so usage read afterwards is final. Only the
 * columns the run reads are returned: PGlite parses every field it returns, and for a batch of
 * 500 the statement took 11–15 ms with all 15 of a customer's columns, 4–5 ms with these four.
 * Each customer is looked up (and locked) on its own through the key, in id order: asked as
 * `id = ANY(…)`, the planner costed 500 index lookups above a scan of the whole table and read
 * every customer for each batch, a run's cost growing with the square of its customers
 * (PostgreSQL, 50,000 customers: 4.4–5 ms a batch of 500, 1.5 ms looked up one by one).
 *
 * The same statement turns JIT compilation off for the rest of the transaction (`set_config(…,
 * true)`, as `SET LOCAL` does, evaluated once): a batch's usage read is one statement over
 * hundreds of customers, which the planner costs high enough to compile (about 350 ms on
 * PostgreSQL for a read that then runs in less), on every batch. As a statement of its own it was
 * one more round trip per batch, 2–8 ms on a loaded server.
 */
export async function lockCustomerRows(tx: Sql, customerIds: readonly string[]): Promise<RunCustomer[]> {
  const { rows } = await tx.query<{ id: string; period_start: Date | null; period_end: Date | null; created_at: Date }>(
    `SELECT c.id, c.period_start, c.period_end, c.created_at
       FROM (SELECT DISTINCT u.id FROM unnest($1::text[]) AS u(id) ORDER BY u.id) u
      CROSS JOIN LATERAL (SELECT id, period_start, period_end, created_at FROM customers WHERE id = u.id FOR UPDATE) c
      WHERE (SELECT set_config('jit', 'off', true)) = 'off'
      ORDER BY c.id`,
    [customerIds],
  );
  return rows.map((row) => ({ id: row.id, periodStart: row.period_start, periodEnd: row.period_end, createdAt: row.created_at }));
}
