import type { Sql } from "../types.ts";

/** The billing month most recently invoiced, as its stored invoices tell it. */
export interface LastInvoiceRun {
  period: string;
  invoices: number;
  firstNumber: number;
  lastNumber: number;
  /** When its newest invoice was written. */
  at: Date;
}

/**
 * The period of the highest-numbered invoice, with how many invoices that period holds: read
 * through the number and period indexes, whatever the number of invoices. Null before any run.
 */
export async function lastInvoiceRun(sql: Sql): Promise<LastInvoiceRun | null> {
  const { rows } = await sql.query<{ period: string; invoices: number; first_number: number; last_number: number; at: Date }>(
    `WITH newest AS (SELECT period_key FROM invoices ORDER BY number DESC LIMIT 1)
     SELECT i.period_key AS period, count(*)::int AS invoices, min(i.number)::int8 AS first_number,
            max(i.number)::int8 AS last_number, max(i.created_at) AS at
     FROM invoices i JOIN newest USING (period_key) GROUP BY i.period_key`,
  );
  const row = rows[0];
  return row === undefined ? null : { period: row.period, invoices: row.invoices, firstNumber: row.first_number, lastNumber: row.last_number, at: row.at };
}
