import { storeOf } from "../../hub/hub-internals.ts";
import { BillingError } from "../../core/errors.ts";
import { archiveLedgerMonths, listLedgerMonths, parseMonth } from "../../store/ledger/partitions.ts";
import { commandAction, commandArgs, table } from "../args.ts";
import { withHub, type Command } from "../command.ts";

const HELP = `Usage: billhub ledger <months | archive --before YYYY-MM [--drop]> [--config <file>]

The usage ledger is partitioned by UTC month: each month is a table of its own, created ahead
(the previous month, the current one and the next three, at every start and every invoice run).

  billhub ledger months
      Lists the ledger's months: live partitions with their size on disk, and archived months with
      the number of events they held and where those went.
  billhub ledger archive --before YYYY-MM [--drop]
      Takes every month before the given one out of the ledger, when all of its events lie in
      invoiced (closed) periods and none waits in the outbox: the month's table is detached and
      kept as usage_events_archived_YYYY_MM (dump it, then drop it), or dropped with --drop.
      The hourly rollups and transaction ids of its events stay: usage totals over whole hours
      still answer, and a retry of an archived event is refused, never recorded again. A month
      that does not qualify stays, and the reason is printed. Exit status 1 when any stays.`;

const OPTIONS = { before: { type: "string" }, drop: { type: "boolean" } } as const;

function megabytes(bytes: number | null): string {
  return bytes === null ? "-" : `${(bytes / 1_048_576).toFixed(1)} MB`;
}

export const ledgerCommand: Command = {
  name: "ledger",
  summary: "ledger months | archive: list the ledger's monthly partitions, archive invoiced months",
  help: HELP,
  async run(context) {
    const { values, positionals } = commandArgs(context.args, OPTIONS, HELP);
    const action = commandAction("ledger", positionals, ["months", "archive"], HELP);
    if (action === "months" && (values.before !== undefined || values.drop !== undefined)) {
      throw new BillingError("VALIDATION_FAILED", `--before and --drop belong to billhub ledger archive\n\n${HELP}`, { field: "args" });
    }
    if (action === "archive" && values.before === undefined) throw new BillingError("VALIDATION_FAILED", `billhub ledger archive needs --before YYYY-MM\n\n${HELP}`, { field: "--before" });
    const before = action === "archive" ? parseMonth(values.before!, "--before") : null;
    const { io } = context;
    return withHub(context, async (hub) => {
      if (before === null) {
        const months = await listLedgerMonths(storeOf(hub));
        const rows = months.map((m) => [m.month, m.archived ? "archived" : "live", m.table ?? "(dropped)", m.archived ? String(m.events) : "-", megabytes(m.bytes)]);
        for (const line of table(["month", "state", "table", "events", "size"], rows)) io.out(line);
        return 0;
      }
      const outcomes = await archiveLedgerMonths(storeOf(hub), before, { drop: values.drop === true });
      if (outcomes.length === 0) {
        io.out(`No live month of the ledger is before ${values.before}.`);
        return 0;
      }
      for (const o of outcomes) {
        if (o.archived) io.out(`${o.month}: archived ${o.events} event${o.events === 1 ? "" : "s"}${o.table === null ? ", table dropped" : ` into ${o.table}`}.`);
        else io.out(`${o.month}: kept (${o.events} event${o.events === 1 ? "" : "s"}): ${o.reason}.`);
      }
      return outcomes.every((o) => o.archived) ? 0 : 1;
    });
  },
};
