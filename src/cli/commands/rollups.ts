import { storeOf } from "../../hub/hub-internals.ts";
import { BillingError } from "../../core/errors.ts";
import { compactRollups } from "../../store/rollups/compact-rollups.ts";
import { rebuildRollups } from "../../store/rollups/rebuild-rollups.ts";
import { findRollupMismatches, type RollupValues } from "../../store/rollups/verify-rollups.ts";
import { commandAction, commandArgs, table } from "../args.ts";
import { withHub, type Command } from "../command.ts";

const HELP = `Usage: billhub rollups <verify | rebuild | compact> [--customer <id>] [--before <date>] [--config <file>]

Usage reads (checks, usage totals, invoices, stats) sum whole hours from hourly rollups that the
record path keeps in the same transaction as the ledger, and read only the partial hours at a
window's edges from the ledger itself. Compaction moves the hours of complete past days into day
rows (and month rows), so that a month-long window reads one row per customer × meter.

  billhub rollups verify [--customer <id>]
      Compares the rollups with a fresh aggregate of the ledger and prints every customer × meter
      × hour that differs. Exit status 1 when any does.
  billhub rollups rebuild [--customer <id>]
      Recomputes the rollups (every customer's, or one's) from the ledger in one transaction;
      recording into the customers concerned waits until it commits.
  billhub rollups compact [--before <date>]
      Compacts the hourly rollups of every UTC day that ended by --before (default: now) into
      day and month rows, whole customers' hours about 50,000 rows per transaction, while
      recording goes on, then vacuums the tables it rewrote. A vacuum that fails is reported
      on stderr and leaves the exit status 0: the rows moved stay moved. Run it once a day,
      e.g. from cron after midnight UTC and before an invoice run.`;

const OPTIONS = { customer: { type: "string" }, before: { type: "string" } } as const;

/** Most differing rows printed; the count says how many there are in all. */
const SHOWN = 100;

function describe(values: RollupValues | null): string {
  if (values === null) return "no row";
  const last = values.last === null ? "-" : `${values.last.quantity} (${values.last.transactionId} at ${values.last.occurredAt.toISOString()})`;
  return `sum ${values.quantitySum}, count ${values.countValue}, max ${values.measuredMax ?? "-"}, last ${last}`;
}

export const rollupsCommand: Command = {
  name: "rollups",
  summary: "rollups verify | rebuild | compact: compare the usage rollups with the ledger, recompute them, or compact past days",
  help: HELP,
  async run(context) {
    const { values, positionals } = commandArgs(context.args, OPTIONS, HELP);
    const action = commandAction("rollups", positionals, ["verify", "rebuild", "compact"], HELP);
    if (values.before !== undefined && (action !== "compact" || Number.isNaN(Date.parse(values.before)))) {
      throw new BillingError("VALIDATION_FAILED", `--before ${action === "compact" ? `must be a date such as 2026-10-01T00:00:00Z, got ${JSON.stringify(values.before)}` : "goes with compact only"}\n\n${HELP}`, { field: "before" });
    }
    if (values.customer !== undefined && action === "compact") throw new BillingError("VALIDATION_FAILED", `--customer does not go with compact, which compacts every customer's\n\n${HELP}`, { field: "customer" });
    const scope = values.customer === undefined ? {} : { customerId: values.customer };
    const whose = values.customer === undefined ? "every customer" : `customer ${values.customer}`;
    const { io } = context;
    return withHub(context, async (hub) => {
      if (action === "compact") {
        const { compactedBefore, moved, vacuumError } = await compactRollups(storeOf(hub), { before: values.before === undefined ? new Date() : new Date(values.before) });
        io.out(`Compacted the usage rollups before ${compactedBefore.toISOString()}: ${moved} hourly row${moved === 1 ? "" : "s"} moved into day and month rows.`);
        if (vacuumError !== undefined) {
          // The driver's own words (a cancel, a lost connection) rather than the store's "try again
          // shortly": a second run moves nothing, so it does not vacuum.
          const reason = vacuumError.cause instanceof Error ? vacuumError.cause.message : vacuumError.message;
          io.err(`The vacuum of the rollup tables after the moves failed: ${reason}. The rows moved stay moved; the next compaction that moves rows vacuums the tables (on PostgreSQL, so does autovacuum).`);
        }
        return 0;
      }
      if (action === "rebuild") {
        const rows = await rebuildRollups(storeOf(hub), scope);
        io.out(`Rebuilt the usage rollups of ${whose}: ${rows} hourly row${rows === 1 ? "" : "s"}.`);
        return 0;
      }
      const mismatches = await findRollupMismatches(storeOf(hub), scope);
      if (mismatches.length === 0) {
        io.out(`The usage rollups of ${whose} match the ledger.`);
        return 0;
      }
      const rows = mismatches.slice(0, SHOWN).map((m) => [m.customerId, m.meter, m.unit === "hour" ? m.bucket.toISOString() : `${m.bucket.toISOString()} (${m.unit})`, describe(m.stored), describe(m.ledger)]);
      for (const line of table(["customer", "meter", "bucket", "rollup", "ledger"], rows)) io.out(line);
      const more = mismatches.length > SHOWN ? ` (the first ${SHOWN} shown)` : "";
      io.out(`${mismatches.length} customer × meter × bucket row${mismatches.length === 1 ? "" : "s"} differ${mismatches.length === 1 ? "s" : ""} from the ledger${more}: billhub rollups rebuild recomputes them.`);
      return 1;
    });
  },
};
