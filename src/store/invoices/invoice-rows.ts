import { canonicalDecimal } from "../../core/decimal.ts";
import type { Invoice, InvoiceLine, InvoiceSummary } from "../../core/invoicing/invoice.ts";

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

export interface InvoiceLineRow {
  [key: string]: unknown;
  invoice_id: string;
  line_number: number;
  charge_key: string;
  model: string;
  meter: string | null;
  description: string;
  quantity: string;
  billable_quantity: string;
  amount: number;
  exact_amount: string;
  details: LineDetails;
}

/** The optional parts of a line, kept together in one jsonb column. */
type LineDetails = Pick<InvoiceLine, "tiers" | "packages" | "billedEvents" | "price">;

export const INVOICE_COLUMNS = "id, number, customer_id, plan_key, provider, period_key, period_from, period_to, currency, subtotal, status, line_count, created_at";
/** numeric columns arrive as exact strings from both drivers. */
export const LINE_COLUMNS = "invoice_id, line_number, charge_key, model, meter, description, quantity, billable_quantity, amount, exact_amount, details";

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

export function toInvoice(row: InvoiceRow, lines: readonly InvoiceLineRow[]): Invoice {
  const { lineCount: _lineCount, ...summary } = toInvoiceSummary(row);
  return { ...summary, lineItems: lines.map(toInvoiceLine) };
}

function toInvoiceLine(row: InvoiceLineRow): InvoiceLine {
  const line: { -readonly [K in keyof InvoiceLine]: InvoiceLine[K] } = {
    lineNumber: row.line_number,
    chargeKey: row.charge_key,
    model: row.model as InvoiceLine["model"],
    meter: row.meter,
    description: row.description,
    quantity: canonicalDecimal(row.quantity),
    billableQuantity: canonicalDecimal(row.billable_quantity),
    amount: row.amount,
    exactAmount: canonicalDecimal(row.exact_amount),
  };
  const details = row.details;
  if (details.tiers !== undefined) line.tiers = details.tiers;
  if (details.packages !== undefined) line.packages = details.packages;
  if (details.billedEvents !== undefined) line.billedEvents = details.billedEvents;
  if (details.price !== undefined) line.price = details.price;
  return line;
}

/** A line as the columns of its row (`details` as an object, written as jsonb). */
export function lineRecord(invoiceId: string, line: InvoiceLine): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  if (line.tiers !== undefined) details.tiers = line.tiers;
  if (line.packages !== undefined) details.packages = line.packages;
  if (line.billedEvents !== undefined) details.billedEvents = line.billedEvents;
  if (line.price !== undefined) details.price = line.price;
  return {
    invoice_id: invoiceId,
    line_number: line.lineNumber,
    charge_key: line.chargeKey,
    model: line.model,
    meter: line.meter,
    description: line.description,
    quantity: line.quantity,
    billable_quantity: line.billableQuantity,
    amount: line.amount,
    exact_amount: line.exactAmount,
    details,
  };
}
