import type { LineItem } from "../pricing/line-item.ts";
import type { InvoiceLine } from "./invoice.ts";

/**
 * A priced line as the invoice's line `lineNumber`: exactly the fields of an invoice line, in the
 * order invoices have always listed them (what a stored invoice's JSON holds), and no other key a
 * caller's object may carry. Built field by field: a spread copy cost more, and left the number last.
 */
export function invoiceLine(line: LineItem, lineNumber: number): InvoiceLine {
  const numbered: { -readonly [K in keyof InvoiceLine]: InvoiceLine[K] } = {
    lineNumber,
    chargeKey: line.chargeKey,
    model: line.model,
    meter: line.meter,
    description: line.description,
    quantity: line.quantity,
    billableQuantity: line.billableQuantity,
    amount: line.amount,
    exactAmount: line.exactAmount,
  };
  if (line.tiers !== undefined) numbered.tiers = line.tiers;
  if (line.packages !== undefined) numbered.packages = line.packages;
  if (line.billedEvents !== undefined) numbered.billedEvents = line.billedEvents;
  if (line.price !== undefined) numbered.price = line.price;
  return numbered;
}
