import type { Invoice, InvoiceSummary } from "../../core/invoicing/invoice.ts";
import { BillingError } from "../../core/errors.ts";
import { arrayLiteral } from "../array-literal.ts";
import { closePeriodsSql } from "../ledger/closed-periods.ts";
import type { Sql } from "../types.ts";
import { INVOICE_COLUMNS, LINE_COLUMNS, lineRecord, toInvoice, toInvoiceSummary, type InvoiceLineRow, type InvoiceRow } from "./invoice-rows.ts";

/** An invoice ready to be written: all but its number, which the write gives out. */
export type InvoiceDraft = Omit<Invoice, "number">;

const LINE_FIELDS = "invoice_id, line_number, charge_key, model, meter, description, quantity, billable_quantity, amount, exact_amount, details";

/**
 * One statement for a whole batch, so its cost grows with the rows it writes, not with round
 * trips. The counter row is updated after the caller locked its customers' rows, keeping the lock
 * order of 0300_invoices.sql (customers first, the counter last). That each line's invoice
 * exists is checked at the end of the statement, once for all its lines (0921), when the
 * invoices inserted beside them are there. The lines come as one JSON array of their rows (numbers
 * that must stay exact as strings, which the numeric columns parse exactly): one native
 * JSON.stringify, where eleven array literals cost a pass over the lines each. Read as jsonb:
 * json_populate_recordset builds a hash table of every row's keys, and took 3–4× as long as
 * jsonb_populate_recordset for a batch's 1,500 lines (their tier details included).
 */
const WRITE_SQL = `WITH numbering AS (
  UPDATE invoice_numbering SET last_number = last_number + $1 WHERE scope = 'hub' RETURNING last_number - $1 AS before
), heads AS (
  INSERT INTO invoices (id, number, customer_id, plan_key, provider, period_key, period_from, period_to, currency, subtotal, line_count, created_at)
  SELECT h.id, numbering.before + h.position, h.customer_id, h.plan_key, h.provider, $2, h.period_from, h.period_to, h.currency, h.subtotal, h.line_count, $3
    FROM numbering, unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::text[], $11::bigint[], $12::integer[])
         WITH ORDINALITY AS h(id, customer_id, plan_key, provider, period_from, period_to, currency, subtotal, line_count, position)
), lines AS (
  INSERT INTO invoice_lines (${LINE_FIELDS})
  SELECT ${LINE_FIELDS} FROM jsonb_populate_recordset(NULL::invoice_lines, $13::jsonb)
), closes AS (
  ${closePeriodsSql("SELECT * FROM unnest($5::text[], $8::timestamptz[], $9::timestamptz[], $4::text[])")}
)
SELECT before FROM numbering`;

/**
 * Writes a batch of invoices of one billing month in one statement: gives them consecutive
 * numbers in their order, inserts them with their lines, and closes each one's period for its
 * customer in the ledger (the invoice id as the reference). Numbers are gap-free: the counter row
 * stays locked until the transaction ends, and a rollback gives them back. Call it in the
 * transaction that holds the customers' rows FOR UPDATE (`lockCustomerRows`), so no usage lands in
 * a period between the read that priced it and its close. Returns the invoices with their numbers.
 *
 * @example
 * const [invoice] = await writeInvoices(tx, [{ id: "inv_3f0c...", customerId: "acme", periodKey: "2026-10", ... }])
 * // invoice.number === 118
 */
export async function writeInvoices(tx: Sql, drafts: readonly InvoiceDraft[]): Promise<Invoice[]> {
  if (drafts.length === 0) return [];
  const { periodKey, createdAt } = drafts[0]!;
  if (drafts.some((draft) => draft.periodKey !== periodKey || draft.createdAt.getTime() !== createdAt.getTime())) {
    throw new BillingError("INTERNAL", "a batch of invoices is written for one billing month at one instant");
  }
  const column = <T>(values: (draft: InvoiceDraft) => T) => arrayLiteral(drafts.map(values));
  const lines = JSON.stringify(drafts.flatMap((draft) => draft.lineItems.map((line) => lineRecord(draft.id, line))));
  const { rows } = await tx.query<{ before: number }>(WRITE_SQL, [
    drafts.length,
    periodKey,
    createdAt.toISOString(),
    column((draft) => draft.id),
    column((draft) => draft.customerId),
    column((draft) => draft.plan),
    column((draft) => draft.provider),
    column((draft) => draft.period.from.toISOString()),
    column((draft) => draft.period.to.toISOString()),
    column((draft) => draft.currency),
    column((draft) => draft.subtotal),
    column((draft) => draft.lineItems.length),
    lines,
  ]);
  const before = rows[0]!.before;
  return drafts.map((draft, index) => ({ ...draft, number: before + index + 1 }));
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

/**
 * Each customer's invoiced periods that end after its `after`, in time order: what money credits
 * settle over (see `moneySettlement`).
 */
export async function invoicedPeriodsAfter(sql: Sql, customers: ReadonlyArray<{ customerId: string; after: Date }>): Promise<Map<string, Array<{ from: Date; to: Date }>>> {
  const periods = new Map<string, Array<{ from: Date; to: Date }>>(customers.map((customer) => [customer.customerId, []]));
  if (customers.length === 0) return periods;
  const { rows } = await sql.query<{ customer_id: string; period_from: Date; period_to: Date }>(
    `SELECT i.customer_id, i.period_from, i.period_to
       FROM unnest($1::text[], $2::timestamptz[]) AS c(customer_id, after_at)
       JOIN invoices i ON i.customer_id = c.customer_id AND i.period_to > c.after_at
      ORDER BY i.customer_id, i.period_from`,
    [customers.map((c) => c.customerId), customers.map((c) => c.after.toISOString())],
  );
  for (const row of rows) periods.get(row.customer_id)!.push({ from: row.period_from, to: row.period_to });
  return periods;
}
