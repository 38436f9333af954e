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

/** What a spreadsheet reads as the start of a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A text cell as a spreadsheet may safely open it: text that a spreadsheet would run as a formula
 * (`=HYPERLINK(...)`, `+1+cmd`, `-2+3`, `@SUM(...)`, a leading tab or CR) gets a leading single
 * quote, so it shows as the text it is. Customer ids, plan keys and descriptions come from API
 * callers; only number cells are left as written, so negative amounts stay numbers.
 *
 * @example
 * csvText("=HYPERLINK(\"http://x\")") // "'=HYPERLINK(\"http://x\")"
 */
export function csvText(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * Invoices as CSV (RFC 4180, CRLF line ends, a header row): one row per line item, with the amount
 * both in minor units and formatted in major units of the invoice's currency. Invoices without
 * lines have no rows. Text cells that would start a formula are neutralised (csvText); number
 * cells (quantity, amounts, negative ones included) stay numbers.
 *
 * @example
 * invoicesToCsv([invoice])
 * // invoice_number,invoice_id,customer_id,...,amount_minor,amount
 * // 1,inv_...,acme,pro,2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,USD,1,platform,,Platform fee,1,4900,49.00
 */
export function invoicesToCsv(invoices: Iterable<Invoice>): string {
  const rows: string[] = [INVOICE_CSV_COLUMNS.join(",")];
  for (const invoice of invoices) {
    const head = [String(invoice.number), csvText(invoice.id), csvText(invoice.customerId), csvText(invoice.plan), invoice.period.from.toISOString(), invoice.period.to.toISOString(), invoice.currency];
    for (const line of invoice.lineItems) {
      const fields = [
        ...head,
        String(line.lineNumber),
        csvText(line.chargeKey),
        csvText(line.meter ?? ""),
        csvText(line.description),
        line.quantity,
        String(line.amount),
        formatMinorUnits(line.amount, invoice.currency),
      ];
      rows.push(fields.map(csvField).join(","));
    }
  }
  return `${rows.join("\r\n")}\r\n`;
}
