import { formatMinorUnits } from "../../core/money.ts";
import type { PricedInvoice } from "../../core/invoicing/invoice.ts";
import { announceSampleCatalog, commandOptions, requireOption, withHub, withSampleCatalog } from "../command.ts";
import type { Subcommand } from "./invoice.ts";

const HELP = `Usage: billhub invoice preview --customer <id> [--period <YYYY-MM | YYYY | YYYY-Www> | --from <iso> --to <iso>] [--json] [--config <file>]

Prices what the customer would be invoiced, from the ledger as it is now, and prints it as a
table (or as JSON with --json). Nothing is stored and no period is closed.
- no period: the customer's current billing period;
- --period 2026-10: the window the October run bills the customer for (2026: the run of the
  year, for yearly plans; 2026-W45: the run of that ISO week, for weekly plans);
- --from/--to: any window (ISO 8601 date-times with a zone).`;

/** The preview as an aligned table: one row per line item, then the subtotal. */
export function previewTable(preview: PricedInvoice): string {
  const rows = preview.lineItems.map((line) => [String(line.lineNumber), line.chargeKey, line.quantity, formatMinorUnits(line.amount, preview.currency), line.description]);
  const header = ["#", "Charge", "Quantity", "Amount", "Details"];
  const widths = header.slice(0, 4).map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]) =>
    [row[0]!.padStart(widths[0]!), row[1]!.padEnd(widths[1]!), row[2]!.padStart(widths[2]!), row[3]!.padStart(widths[3]!), row[4]!].join("  ").trimEnd();
  const subtotal = `${formatMinorUnits(preview.subtotal, preview.currency)} ${preview.currency}`;
  const lead = widths[0]! + widths[1]! + widths[2]! + 6;
  return [
    `Invoice preview for ${preview.customerId} (plan ${preview.plan})`,
    `Period ${preview.period.from.toISOString()} → ${preview.period.to.toISOString()}`,
    "",
    format(header),
    ...rows.map(format),
    "",
    `${"Subtotal".padStart(lead)}  ${subtotal}`,
  ].join("\n");
}

export const invoicePreview: Subcommand = {
  name: "preview",
  help: HELP,
  async run(context) {
    const options = commandOptions(
      context.args,
      { customer: { type: "string" }, period: { type: "string" }, from: { type: "string" }, to: { type: "string" }, json: { type: "boolean" } },
      HELP,
    );
    const customerId = requireOption(options.customer, "customer", HELP);
    const period = options.from !== undefined || options.to !== undefined ? { from: options.from ?? "", to: options.to ?? "" } : options.period;
    const preview = await withHub(context, (hub) => {
      announceSampleCatalog(context.io, hub.config);
      return hub.invoices.preview(customerId, period === undefined ? {} : { period });
    }, withSampleCatalog);
    context.io.out(options.json ? JSON.stringify(preview, null, 2) : previewTable(preview));
    return 0;
  },
};
