import { parseRunPeriod } from "../../core/invoicing/run-period.ts";
import type { HubConfig } from "../../config/schema.ts";
import { announceSampleCatalog, commandOptions, requireOption, withHubOrService, withSampleCatalog } from "../command.ts";
import { createProgress, type Progress } from "../io.ts";
import type { Subcommand } from "./invoice.ts";

const HELP = `Usage: billhub invoice run --period <YYYY-MM | YYYY | YYYY-Www> [--batch-size <n>] [--config <file>] [--url <service> --api-key <key>]

Invoices the customers of a period's interval and stores numbered, immutable invoices: a month
(2026-10) bills the customers on monthly plans, a year (2026) those on yearly plans, an ISO week
(2026-W45, Monday to Monday UTC) those on weekly plans:
- customers without a billing cycle are billed for the calendar month, year or ISO week;
- customers with one (a subscription's period) for their billing period that ends in it;
- a customer who changed to a plan of another interval is billed up to the change by this run
  and from it by the other interval's runs;
- periods that have not ended yet, and customers created after the period with no usage in it,
  are passed by (a later run picks them up).
Each batch of customers is one transaction that also closes their periods in the ledger. The run
is resumable: run it again after a crash or a failure and it finishes the rest, never invoicing a
customer twice. Progress is drawn as a bar on a terminal, as plain lines otherwise.

With --url (or BILLHUB_URL) the run happens in that running billhub serve, through its HTTP API
(a write key), e.g. while it holds the embedded store; no progress is shown then.

Exits 1 when some customers could not be invoiced (they are listed with the reason).`;

export const invoiceRun: Subcommand = {
  name: "run",
  help: HELP,
  async run(context) {
    const options = commandOptions(context.args, { period: { type: "string" }, "batch-size": { type: "string" } }, HELP);
    // Checked before the store is opened, so a typo fails at once.
    const run = parseRunPeriod(requireOption(options.period, "period", HELP));
    const period = run.key;
    const batchSize = options["batch-size"] === undefined ? undefined : Number(options["batch-size"]);
    const result = await withHubOrService(context, async (hub) => {
      // A hub opened here (not the service's, whose catalog is its own) says when it runs on the sample catalog.
      const config = (hub as { config?: HubConfig }).config;
      if (config !== undefined) announceSampleCatalog(context.io, config);
      let progress: Progress | undefined;
      let shown = 0;
      const outcome = await hub.invoices.run({
        period,
        ...(batchSize === undefined ? {} : { batchSize }),
        onProgress: ({ done, total }) => {
          progress ??= createProgress(context.io, { label: `Invoicing ${period}`, total });
          progress.tick(done - shown);
          shown = done;
        },
      });
      progress?.done();
      return outcome;
    }, withSampleCatalog);
    const { skipped, numbers } = result;
    const passedBy = skipped.notEnded + skipped.notYetCustomer + skipped.noPeriod + skipped.covered;
    context.io.out(
      `Invoiced ${result.period}: ${result.invoiced} invoice${result.invoiced === 1 ? "" : "s"} written${numbers === null ? "" : ` (numbers ${numbers.first}–${numbers.last})`}; ` +
        `${result.alreadyInvoiced} already invoiced; ${passedBy} passed by (period not ended ${skipped.notEnded}, not a customer yet ${skipped.notYetCustomer}, ` +
        `no period ending in the ${run.interval} ${skipped.noPeriod}, covered by other invoices ${skipped.covered}); ${result.failed.length} failed.`,
    );
    for (const failure of result.failed) context.io.err(`  ${failure.customerId}: ${failure.code}: ${failure.message}`);
    return result.failed.length === 0 ? 0 : 1;
  },
};
