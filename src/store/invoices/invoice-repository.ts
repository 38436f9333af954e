import type { Invoice, InvoiceSummary } from "../../core/invoicing/invoice.ts";
import type { Sql } from "../types.ts";
import { INVOICE_COLUMNS, LINE_COLUMNS, lineRecord, toInvoice, toInvoiceSummary, type InvoiceLineRow, type InvoiceRow } from "./invoice-rows.ts";

/**
 * Takes `count` consecutive invoice numbers and returns the first. The counter row stays locked
 * until the transaction ends, and a rollback gives the numbers back: numbers are gap-free.
 */
export async function allocateInvoiceNumbers(tx: Sql, count: number): Promise<number> {
  const { rows } = await tx.query<{ last_number: number }>("UPDATE invoice_numbering SET last_number = last_number + $1 WHERE scope = 'hub' RETURNING last_number", [count]);
  return rows[0]!.last_number - count + 1;
}

/** Writes invoices and their lines: two statements for the whole batch. */
export async function insertInvoices(tx: Sql, invoices: readonly Invoice[]): Promise<void> {
  if (invoices.length === 0) return;
  const heads = invoices.map((invoice) => ({
    id: invoice.id,
    number: invoice.number,
    customer_id: invoice.customerId,
    plan_key: invoice.plan,
    provider: invoice.provider,
    period_key: invoice.periodKey,
    period_from: invoice.period.from.toISOString(),
    period_to: invoice.period.to.toISOString(),
    currency: invoice.currency,
    subtotal: invoice.subtotal,
    line_count: invoice.lineItems.length,
    created_at: invoice.createdAt.toISOString(),
  }));
  await tx.query(
    `INSERT INTO invoices (id, number, customer_id, plan_key, provider, period_key, period_from, period_to, currency, subtotal, line_count, created_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, number bigint, customer_id text, plan_key text, provider text, period_key text,
       period_from timestamptz, period_to timestamptz, currency text, subtotal bigint, line_count integer, created_at timestamptz)`,
    [JSON.stringify(heads)],
  );
  const lines = invoices.flatMap((invoice) => invoice.lineItems.map((line) => lineRecord(invoice.id, line)));
  if (lines.length === 0) return;
  await tx.query(
    `INSERT INTO invoice_lines (invoice_id, line_number, charge_key, model, meter, description, quantity, billable_quantity, amount, exact_amount, details)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(invoice_id text, line_number integer, charge_key text, model text, meter text, description text,
       quantity numeric, billable_quantity numeric, amount bigint, exact_amount numeric, details jsonb)`,
    [JSON.stringify(lines)],
  );
}

/** Which of these customers already have an invoice for the billing month. */
export async function invoicedCustomers(sql: Sql, periodKey: string, customerIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await sql.query<{ customer_id: string }>("SELECT customer_id FROM invoices WHERE period_key = $1 AND customer_id = ANY($2::text[])", [periodKey, customerIds]);
  return new Set(rows.map((row) => row.customer_id));
}

/** The invoice with its lines, or undefined. */
export async function findInvoice(sql: Sql, id: string): Promise<Invoice | undefined> {
  const { rows } = await sql.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE id = $1`, [id]);
  if (rows[0] === undefined) return undefined;
  const lines = await sql.query<InvoiceLineRow>(`SELECT ${LINE_COLUMNS} FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_number`, [id]);
  return toInvoice(rows[0], lines.rows);
}

export interface InvoiceFilter {
  customerId?: string | undefined;
  periodKey?: string | undefined;
  /** Keyset cursor: only invoices numbered above this. */
  afterNumber?: number | undefined;
  limit: number;
}

/** Invoices without their lines, by number. */
export async function listInvoiceSummaries(sql: Sql, filter: InvoiceFilter): Promise<InvoiceSummary[]> {
  const params: unknown[] = [filter.afterNumber ?? 0, filter.limit];
  const conditions = ["number > $1"];
  if (filter.customerId !== undefined) conditions.push(`customer_id = $${params.push(filter.customerId)}`);
  if (filter.periodKey !== undefined) conditions.push(`period_key = $${params.push(filter.periodKey)}`);
  const { rows } = await sql.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE ${conditions.join(" AND ")} ORDER BY number LIMIT $2`, params);
  return rows.map(toInvoiceSummary);
}

/** Every invoice of a billing month with its lines, by number (what an export writes). */
export async function invoicesOfPeriod(sql: Sql, periodKey: string): Promise<Invoice[]> {
  const heads = await sql.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE period_key = $1 ORDER BY number`, [periodKey]);
  const lines = await sql.query<InvoiceLineRow>(
    `SELECT ${LINE_COLUMNS} FROM invoice_lines WHERE invoice_id IN (SELECT id FROM invoices WHERE period_key = $1) ORDER BY invoice_id, line_number`,
    [periodKey],
  );
  const byInvoice = new Map<string, InvoiceLineRow[]>();
  for (const line of lines.rows) {
    const list = byInvoice.get(line.invoice_id) ?? [];
    list.push(line);
    byInvoice.set(line.invoice_id, list);
  }
  return heads.rows.map((row) => toInvoice(row, byInvoice.get(row.id) ?? []));
}

/**
 * Invoiced periods of other billing months that overlap each customer's window: what a new
 * invoice must leave out so that no usage is invoiced twice.
 */
export async function overlappingInvoicedPeriods(
  sql: Sql,
  windows: ReadonlyArray<{ customerId: string; from: Date; to: Date }>,
  exceptPeriodKey: string,
): Promise<Map<string, Array<{ from: Date; to: Date }>>> {
  const overlaps = new Map<string, Array<{ from: Date; to: Date }>>();
  if (windows.length === 0) return overlaps;
  const { rows } = await sql.query<{ customer_id: string; period_from: Date; period_to: Date }>(
    `SELECT i.customer_id, i.period_from, i.period_to
       FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS w(customer_id, from_at, to_at)
       JOIN invoices i ON i.customer_id = w.customer_id AND i.period_to > w.from_at AND i.period_from < w.to_at AND i.period_key <> $4`,
    [windows.map((w) => w.customerId), windows.map((w) => w.from.toISOString()), windows.map((w) => w.to.toISOString()), exceptPeriodKey],
  );
  for (const row of rows) {
    const list = overlaps.get(row.customer_id) ?? [];
    list.push({ from: row.period_from, to: row.period_to });
    overlaps.set(row.customer_id, list);
  }
  return overlaps;
}
