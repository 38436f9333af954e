import type { Command, CommandContext } from "../command.ts";
import { invoiceExport } from "./invoice-export.ts";
import { invoicePreview } from "./invoice-preview.ts";
import { invoiceRun } from "./invoice-run.ts";

/** One `billhub invoice <name>` subcommand. */
export interface Subcommand {
  name: string;
  help: string;
  run(context: CommandContext): Promise<number>;
}

const SUBCOMMANDS: readonly Subcommand[] = [invoiceRun, invoicePreview, invoiceExport];

const HELP = `Usage: billhub invoice <run|preview|export> [options]

  billhub invoice run --period 2026-10 [--batch-size 500]
      Invoice every customer for a billing month (resumable: invoiced customers are passed by).
  billhub invoice preview --customer <id> [--period 2026-10 | --from <iso> --to <iso>] [--json]
      What a customer would be invoiced, as a table; nothing is stored.
  billhub invoice export --period 2026-10 --format csv|json [--out <file>]
      A month's stored invoices as CSV (one row per line item) or JSON.

billhub invoice <subcommand> --help explains each.`;

export const invoiceCommand: Command = {
  name: "invoice",
  summary: "invoice run | preview | export: invoice a month, preview a customer's invoice, export a month's invoices",
  help: HELP,
  service: true,
  subcommandHelp: (name) => SUBCOMMANDS.find((sub) => sub.name === name)?.help,
  async run(context) {
    const [name, ...args] = context.args;
    const sub = SUBCOMMANDS.find((candidate) => candidate.name === name);
    if (sub === undefined) {
      context.io.err(`${name === undefined ? "billhub invoice needs a subcommand" : `Unknown invoice subcommand "${name}"`}.\n\n${HELP}`);
      return 1;
    }
    return sub.run({ ...context, args });
  },
};
