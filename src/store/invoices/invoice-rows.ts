import { canonicalDecimal } from "../../core/decimal.ts";
import type { Invoice, InvoiceLine, InvoiceSummary } from "../../core/invoicing/invoice.ts";
import type { LineItemTier } from "../../core/pricing/line-item.ts";

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
export type StoredLine = {
  [K in keyof InvoiceLine]: InvoiceLine[K];
};

/**
 * Every key a stored line may have, at every depth (the line's, its tiers' and its price's), in the
 * order they are written: `JSON.stringify(lines, keys)` writes these and nothing else, natively,
 * without building an object per line. Typed so that a key added to a line fails the build until
 * it is listed here (and stored).
 */
const STORED_LINE_KEY_SET: Record<keyof InvoiceLine | keyof LineItemTier | keyof NonNullable<InvoiceLine["price"]>, true> = {
  lineNumber: true,
  chargeKey: true,
  model: true,
  meter: true,
  description: true,
  quantity: true,
  billableQuantity: true,
  tiers: true,
  tier: true,
  upTo: true,
  unitAmount: true,
  percent: true,
  flatAmount: true,
  packages: true,
  billedEvents: true,
  price: true,
  lookupKey: true,
  provider: true,
  id: true,
  amount: true,
  exactAmount: true,
};
const STORED_LINE_KEYS = Object.keys(STORED_LINE_KEY_SET);

/** Each invoice's lines as the JSON its row keeps (an array per invoice, in one array). */
export function storedLinesJson(invoices: ReadonlyArray<{ lineItems: readonly InvoiceLine[] }>): string {
  return JSON.stringify(
    invoices.map((invoice) => invoice.lineItems),
    STORED_LINE_KEYS,
  );
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

/** A stored line with its keys in one order and its decimals canonical, whatever order jsonb kept them in. */
function toInvoiceLine(stored: StoredLine): InvoiceLine {
  const line: { -readonly [K in keyof InvoiceLine]: InvoiceLine[K] } = {
    lineNumber: stored.lineNumber,
    chargeKey: stored.chargeKey,
    model: stored.model,
    meter: stored.meter,
    description: stored.description,
    quantity: canonicalDecimal(stored.quantity),
    billableQuantity: canonicalDecimal(stored.billableQuantity),
    amount: stored.amount,
    exactAmount: canonicalDecimal(stored.exactAmount),
  };
  if (stored.tiers !== undefined) line.tiers = stored.tiers;
  if (stored.packages !== undefined) line.packages = stored.packages;
  if (stored.billedEvents !== undefined) line.billedEvents = stored.billedEvents;
  if (stored.price !== undefined) line.price = stored.price;
  return line;
}
