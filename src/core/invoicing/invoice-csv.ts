import { formatMinorUnits } from "../money.ts";
import type { Invoice } from "./invoice.ts";

/** The columns of an invoice export, one row per line item. */
export const INVOICE_CSV_COLUMNS = [
  "invoice_number",
  "invoice_id",
  "customer_id",
  "plan",
  "period_from",
  "period_to",
  "currency",
  "line_number",
  "charge_key",
  "meter",
  "description",
  "quantity",
  "amount_minor",
  "amount",
] as const;

/**
 * One CSV field as RFC 4180 writes it: quoted when it holds a comma, a double quote, a line break
 * or leading/trailing spaces, with inner double quotes doubled.
 *
 * @example
 * csvField('Platform fee, "pro"') // '"Platform fee, ""pro"""'
 */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Invoices as CSV (RFC 4180, CRLF line ends, a header row): one row per line item, with the amount
 * both in minor units and formatted in major units of the invoice's currency. Invoices without
 * lines have no rows.
 *
 * @example
 * invoicesToCsv([invoice])
 * // invoice_number,invoice_id,customer_id,...,amount_minor,amount
 * // 1,inv_...,acme,pro,2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,USD,1,platform,,Platform fee,1,4900,49.00
 */
export function invoicesToCsv(invoices: Iterable<Invoice>): string {
  const rows: string[] = [INVOICE_CSV_COLUMNS.join(",")];
  for (const invoice of invoices) {
    const head = [String(invoice.number), invoice.id, invoice.customerId, invoice.plan, invoice.period.from.toISOString(), invoice.period.to.toISOString(), invoice.currency];
    for (const line of invoice.lineItems) {
      const fields = [
        ...head,
        String(line.lineNumber),
        line.chargeKey,
        line.meter ?? "",
        line.description,
        line.quantity,
        String(line.amount),
        formatMinorUnits(line.amount, invoice.currency),
      ];
      rows.push(fields.map(csvField).join(","));
    }
  }
  return `${rows.join("\r\n")}\r\n`;
}
