import { writeFile } from "node:fs/promises";
import { BillingError } from "../../core/errors.ts";
import { commandOptions, requireOption, withHub, withSampleCatalog } from "../command.ts";
import type { Subcommand } from "./invoice.ts";

const HELP = `Usage: billhub invoice export --period <YYYY-MM | YYYY | YYYY-Www> --format <csv|json> [--out <file>] [--config <file>]

Writes the stored invoices of a run's period (a month, a year or an ISO week) to the file (or to standard output):
- csv: one row per line item (RFC 4180 quoting), with the invoice number and id, customer, plan,
  period, currency, line number, charge, meter, description, quantity, the amount in minor units
  and formatted in major units;
- json: an array of invoices, each with its numbered lines.`;

export const invoiceExport: Subcommand = {
  name: "export",
  help: HELP,
  async run(context) {
    const options = commandOptions(context.args, { period: { type: "string" }, format: { type: "string" }, out: { type: "string" } }, HELP);
    const period = requireOption(options.period, "period", HELP);
    const format = requireOption(options.format, "format", HELP);
    if (format !== "csv" && format !== "json") throw new BillingError("VALIDATION_FAILED", `--format must be csv or json, got ${JSON.stringify(format)}`, { field: "format" });
    const text = await withHub(context, (hub) => hub.invoices.export({ period, format }), withSampleCatalog);
    if (options.out === undefined) {
      context.io.out(text.replace(/\r?\n$/, ""));
    } else {
      await writeFile(options.out, text);
      context.io.err(`Exported the invoices of ${period} as ${format} to ${options.out}.`);
    }
    return 0;
  },
};
