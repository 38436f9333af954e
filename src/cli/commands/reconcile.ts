import { BillingError } from "../../core/errors.ts";
import { commandArgs, table } from "../args.ts";
import { providerDefinition, providerIdsWith } from "../../providers/index.ts";
import { withHub, type Command } from "../command.ts";

/** The providers that report their own usage totals (their definitions declare `reconcile`). */
const TARGETS = providerIdsWith("reconcile");

const HELP = [
  `Usage: billhub reconcile --provider ${TARGETS.join("|")} --period <period> [--customer <id>] [--config <file>]

Compares, for every customer and meter, the ledger's total of the usage queued for the provider
with the provider's own total over the same window, and prints every difference
(provider − ledger), with the rows not delivered yet or dead that explain it. The period is a
UTC month (2026-10) or UTC days with an exclusive end (2026-10-01..2026-10-15).`,
  ...TARGETS.flatMap((id) => providerDefinition(id)?.help?.reconcile ?? []),
  "Exit status: 0 when every total matches, 2 when there are differences, 1 on an error.",
].join("\n\n");

const OPTIONS = { provider: { type: "string" }, period: { type: "string" }, customer: { type: "string" } } as const;

/** Exit status when the totals differ (1 stays "the command failed", as for every command). */
const DIFFERENCES_FOUND = 2;

export const reconcileCommand: Command = {
  name: "reconcile",
  summary: `compare the ledger's usage totals with the provider's (${TARGETS.join(", ")})`,
  help: HELP,
  async run(context) {
    const { values, positionals } = commandArgs(context.args, OPTIONS, HELP);
    if (positionals.length > 0) throw new BillingError("VALIDATION_FAILED", `Unexpected argument ${JSON.stringify(positionals[0])}\n\n${HELP}`, { field: "args" });
    for (const name of ["provider", "period"] as const) {
      if (values[name] === undefined) throw new BillingError("VALIDATION_FAILED", `--${name} is required\n\n${HELP}`, { field: name });
    }
    return withHub(context, async (hub) => {
      const report = await hub.reconcile({ provider: values.provider!, period: values.period!, ...(values.customer ? { customerId: values.customer } : {}) });
      const { io } = context;
      io.out(`Reconciled ${report.provider} for ${report.from.toISOString()} – ${report.to.toISOString()}: ${report.compared} customer × meter totals compared.`);
      if (report.differences.length === 0) {
        io.out("Every total matches.");
        return 0;
      }
      const rows = report.differences.map((d) => [d.customerId, d.providerCustomerId ?? "-", d.meter, d.ledger, d.provider ?? "?", d.difference ?? "?", d.note ?? ""]);
      for (const line of table(["customer", `${report.provider} customer`, "meter", "ledger", report.provider, "difference", "why"], rows)) io.out(line);
      io.out(`${report.differences.length} difference${report.differences.length === 1 ? "" : "s"}.`);
      return DIFFERENCES_FOUND;
    });
  },
};
