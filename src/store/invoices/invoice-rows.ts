import { canonicalDecimal } from "../../core/decimal.ts";
import type { Invoice, InvoiceLine, InvoiceSummary } from "../../core/invoicing/invoice.ts";
import { invoiceLine } from "../../core/invoicing/invoice-line.ts";

export interface InvoiceRow {
  [key: string]: unknown;
  id: string;
  number: number;
  customer_id: string;
  plan_key: string;
  provider: string;
  period_key: string;
  period_from: Date;
  period_to: Date;
  currency: string;
  subtotal: number;
  status: "issued";
  line_count: number;
  created_at: Date;
}

/** A line as an invoice row's `lines` keep it: the invoice line as billhub returns it, as JSON. */
export type StoredLine = InvoiceLine;

/**
 * A line as its invoice's row keeps it: its fields and nothing else, in the order invoices have
 * always listed them (`invoiceLine`). (Written by JSON.stringify's fast path on these objects: a
 * key list passed to JSON.stringify would do the same without them, but took 2.5 times as long.)
 */
const storedLine = (line: InvoiceLine): StoredLine => invoiceLine(line, line.lineNumber);

/** Each invoice's lines as the JSON its row keeps (an array per invoice, in one array). */
export function storedLinesJson(invoices: ReadonlyArray<{ lineItems: readonly InvoiceLine[] }>): string {
  return JSON.stringify(invoices.map((invoice) => invoice.lineItems.map(storedLine)));
}

export const INVOICE_COLUMNS = "id, number, customer_id, plan_key, provider, period_key, period_from, period_to, currency, subtotal, status, line_count, created_at";

export function toInvoiceSummary(row: InvoiceRow): InvoiceSummary {
  return {
    id: row.id,
    number: row.number,
    customerId: row.customer_id,
    plan: row.plan_key,
    provider: row.provider,
    periodKey: row.period_key,
    period: { from: row.period_from, to: row.period_to },
    currency: row.currency,
    subtotal: row.subtotal,
    status: row.status,
    lineCount: row.line_count,
    createdAt: row.created_at,
  };
}

/** The invoice of a row read with its `lines` (INVOICE_COLUMNS and `lines`). */
export function toInvoice(row: InvoiceRow & { lines: readonly StoredLine[] }): Invoice {
  const { lineCount: _lineCount, ...summary } = toInvoiceSummary(row);
  return { ...summary, lineItems: row.lines.map(toInvoiceLine) };
}

/**
 * A stored line with its keys in one order and its decimals canonical, whatever order its row kept
 * them in (lines written while they were jsonb, before 1210, keep jsonb's order).
 */
function toInvoiceLine(stored: StoredLine): InvoiceLine {
  const line = storedLine(stored);
  return { ...line, quantity: canonicalDecimal(line.quantity), billableQuantity: canonicalDecimal(line.billableQuantity), exactAmount: canonicalDecimal(line.exactAmount) };
}
