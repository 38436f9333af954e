import type { Invoice, InvoiceSummary } from "../../core/invoicing/invoice.ts";
import { BillingError } from "../../core/errors.ts";
import { arrayLiteral } from "../array-literal.ts";
import { closePeriodsSql } from "../ledger/closed-periods.ts";
import type { Sql } from "../types.ts";
import { INVOICE_COLUMNS, storedLinesJson, toInvoice, toInvoiceSummary, type InvoiceRow, type StoredLine } from "./invoice-rows.ts";

/** An invoice ready to be written: all but its number, which the write gives out. */
export type InvoiceDraft = Omit<Invoice, "number">;

/**
 * One statement takes a batch's numbers and inserts its invoices, so its cost grows with the rows
 * it writes, not with round trips: one row per invoice, its lines in it
 * (1200_invoice_lines_in_invoices.sql, as json since 1210). The counter row is updated after the caller locked its
 * customers' rows, keeping the lock order of 0300_invoices.sql (customers first, the counter last).
 * The lines come as one JSON array holding each invoice's array of lines (one native
 * JSON.stringify; numbers that must stay exact are strings), zipped with the invoices' columns by
 * ROWS FROM.
 */
const INSERT_SQL = `WITH numbering AS (
  UPDATE invoice_numbering SET last_number = last_number + $1 WHERE scope = 'hub' RETURNING last_number - $1 AS before
), heads AS (
  INSERT INTO invoices (id, number, customer_id, plan_key, provider, period_key, period_from, period_to, currency, subtotal, line_count, created_at, lines)
  SELECT h.id, numbering.before + h.position, h.customer_id, h.plan_key, h.provider, $2, h.period_from, h.period_to, h.currency, h.subtotal, h.line_count, $3, h.lines
    FROM numbering, ROWS FROM (unnest($4::text[]), unnest($5::text[]), unnest($6::text[]), unnest($7::text[]), unnest($8::timestamptz[]), unnest($9::timestamptz[]),
                              unnest($10::text[]), unnest($11::bigint[]), unnest($12::integer[]), json_array_elements($13::json))
         WITH ORDINALITY AS h(id, customer_id, plan_key, provider, period_from, period_to, currency, subtotal, line_count, lines, position)
)
SELECT before FROM numbering`;

const CLOSE_SQL = closePeriodsSql("SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::text[])");

/** A batch of invoices of one billing month, its statements' parameters built before it writes. */
export interface InvoiceBatchWrite {
  /**
   * Closes each invoice's period for its customer in the ledger (the invoice id as the reference).
   * It needs no invoice number, so a run closes a batch's periods before its turn to number.
   */
  closePeriods(tx: Sql): Promise<void>;
  /**
   * Gives the invoices consecutive numbers in their order and inserts them with their lines.
   * Numbers are gap-free: the counter row stays locked until the transaction ends, and a rollback
   * gives them back.
   */
  insert(tx: Sql): Promise<Invoice[]>;
}

/**
 * The writes of a batch of invoices of one billing month written at one instant, ready to run in
 * the transaction that holds the customers' rows FOR UPDATE (`lockCustomerRows`), so that no
 * usage lands in a period between the read that priced it and its close. Both steps must run, in
 * the same transaction: `writeInvoices` runs them one after the other.
 */
export function prepareInvoiceWrite(drafts: readonly InvoiceDraft[]): InvoiceBatchWrite {
  if (drafts.length === 0) return { closePeriods: async () => {}, insert: async () => [] };
  const { periodKey, createdAt } = drafts[0]!;
  if (drafts.some((draft) => draft.periodKey !== periodKey || draft.createdAt.getTime() !== createdAt.getTime())) {
    throw new BillingError("INTERNAL", "a batch of invoices is written for one billing month at one instant");
  }
  const column = <T>(values: (draft: InvoiceDraft) => T) => arrayLiteral(drafts.map(values));
  const ids = column((draft) => draft.id);
  const customerIds = column((draft) => draft.customerId);
  const froms = column((draft) => draft.period.from.toISOString());
  const tos = column((draft) => draft.period.to.toISOString());
  const insertParams = [
    drafts.length,
    periodKey,
    createdAt.toISOString(),
    ids,
    customerIds,
    column((draft) => draft.plan),
    column((draft) => draft.provider),
    froms,
    tos,
    column((draft) => draft.currency),
    column((draft) => draft.subtotal),
    column((draft) => draft.lineItems.length),
    storedLinesJson(drafts),
  ];
  return {
    async closePeriods(tx) {
      await tx.query(CLOSE_SQL, [customerIds, froms, tos, ids]);
    },
    async insert(tx) {
      const { rows } = await tx.query<{ before: number }>(INSERT_SQL, insertParams);
      const before = rows[0]!.before;
      return drafts.map((draft, index) => ({
        id: draft.id,
        number: before + index + 1,
        customerId: draft.customerId,
        plan: draft.plan,
        period: draft.period,
        currency: draft.currency,
        lineItems: draft.lineItems,
        subtotal: draft.subtotal,
        periodKey: draft.periodKey,
        provider: draft.provider,
        status: draft.status,
        createdAt: draft.createdAt,
      }));
    },
  };
}

/**
 * Writes a batch of invoices of one billing month: closes each one's period for its customer in
 * the ledger, then numbers and inserts them (`prepareInvoiceWrite`). Call it in the transaction
 * that holds the customers' rows FOR UPDATE. Returns the invoices with their numbers.
 *
 * @example
 * const [invoice] = await writeInvoices(tx, [{ id: "inv_3f0c...", customerId: "acme", periodKey: "2026-10", ... }])
 * // invoice.number === 118
 */
export async function writeInvoices(tx: Sql, drafts: readonly InvoiceDraft[]): Promise<Invoice[]> {
  const write = prepareInvoiceWrite(drafts);
  await write.closePeriods(tx);
  return write.insert(tx);
}

/**
 * Which of these customers already have an invoice for the billing month: one lookup per customer
 * in the (customer, period) index. (Asked as `customer_id = ANY(…)`, the planner read every
 * invoice of the period instead, a read growing with each batch an invoice run wrote.)
 */
export async function invoicedCustomers(sql: Sql, periodKey: string, customerIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await sql.query<{ customer_id: string }>(
    `SELECT c.id AS customer_id FROM unnest($2::text[]) AS c(id)
      CROSS JOIN LATERAL (SELECT 1 FROM invoices i WHERE i.customer_id = c.id AND i.period_key = $1 LIMIT 1) i`,
    [periodKey, customerIds],
  );
  return new Set(rows.map((row) => row.customer_id));
}

/** The invoice with its lines, or undefined. */
export async function findInvoice(sql: Sql, id: string): Promise<Invoice | undefined> {
  const { rows } = await sql.query<InvoiceRow & { lines: StoredLine[] }>(`SELECT ${INVOICE_COLUMNS}, lines FROM invoices WHERE id = $1`, [id]);
  return rows[0] === undefined ? undefined : toInvoice(rows[0]);
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
  const { rows } = await sql.query<InvoiceRow & { lines: StoredLine[] }>(`SELECT ${INVOICE_COLUMNS}, lines FROM invoices WHERE period_key = $1 ORDER BY number`, [periodKey]);
  return rows.map(toInvoice);
}

/**
 * Invoiced periods of other billing months that overlap each customer's window: what a new
 * invoice must leave out so that no usage is invoiced twice. Each customer's invoices are looked
 * up on their own (a LATERAL subquery kept apart by OFFSET 0): as a join, the planner hashed every
 * invoice of the table for each batch of an invoice run, a read growing with every batch it wrote
 * (at 50,000 customers, most of the run's time). The lookup goes through the (customer, period
 * end) index, so it reads only the invoices that end after the window starts: through the unique
 * (customer, period key) index it would read every invoice the customer ever had (with 60 monthly
 * invoices each, 88 ms a batch of 500 on PostgreSQL instead of 17).
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
      CROSS JOIN LATERAL (
        SELECT i.customer_id, i.period_from, i.period_to FROM invoices i
         WHERE i.customer_id = w.customer_id AND i.period_to > w.from_at AND i.period_from < w.to_at AND i.period_key <> $4
        OFFSET 0) i`,
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
      CROSS JOIN LATERAL (SELECT i.customer_id, i.period_from, i.period_to FROM invoices i WHERE i.customer_id = c.customer_id AND i.period_to > c.after_at OFFSET 0) i
      ORDER BY i.customer_id, i.period_from`,
    [customers.map((c) => c.customerId), customers.map((c) => c.after.toISOString())],
  );
  for (const row of rows) periods.get(row.customer_id)!.push({ from: row.period_from, to: row.period_to });
  return periods;
}
