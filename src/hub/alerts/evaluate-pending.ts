import { redactSecrets } from "../../core/redact.ts";
import { deletePendingUsage, pendingUsage } from "../../store/alerts/pending-usage.ts";
import type { HubContext } from "../context.ts";
import type { AlertFirer } from "./fire-alerts.ts";

/** Customers evaluated in one statement-sized page. */
const PAGE = 500;

/** What one pass over the pending usage did. */
export interface EvaluationReport {
  /** Customers whose recorded usage was evaluated against the usage and spend alerts. */
  customers: number;
  /** Customers whose state could not be resolved (e.g. a plan the catalog no longer declares): logged and counted, the others evaluated. */
  failed: number;
}

/**
 * The evaluation of recorded usage against the usage and spend alerts, off the record path:
 * `record` and `recordBatch` mark each customer and hour of their new events pending in their
 * own transaction, and a pass reads what is pending, page by page, evaluates it (every window
 * that holds an instant between the first and last new event of each hour) and deletes what it
 * read, unless a record added to it meanwhile, which leaves it for the next pass. A pass that fails (the database) leaves
 * everything it did not finish pending; a customer that fails alone (a plan the catalog no longer
 * declares) is logged and counted, and evaluated again at its next record.
 *
 * @example
 * const evaluator = createPendingEvaluator(ctx, firer);
 * await evaluator.evaluate(console.error) // { customers: 200, failed: 0 }
 */
export function createPendingEvaluator(ctx: HubContext, firer: Pick<AlertFirer, "evaluateRecorded" | "watchedMeters">) {
  const failures = ctx.metrics.counter(
    "billhub_alert_evaluation_failures_total",
    "Recorded usage whose alerts could not be evaluated: reason customer (one customer's state, the others evaluated) or store (a whole pass, tried again)",
  );
  const meters = firer.watchedMeters();

  async function evaluate(log: (line: string) => void): Promise<EvaluationReport> {
    const report: EvaluationReport = { customers: 0, failed: 0 };
    if (meters.length === 0) return report;
    let after: string | null = null;
    try {
      for (;;) {
        const rows = await pendingUsage(ctx.store, { afterCustomer: after, customers: PAGE });
        if (rows.length === 0) break;
        const usage = rows.flatMap((row) => meters.map((meter) => ({ customerId: row.customerId, meter, from: row.firstAt, to: row.lastAt })));
        const failed = await firer.evaluateRecorded(ctx.store, usage);
        for (const [customerId, error] of failed) {
          failures.inc({ reason: "customer" });
          log(`billhub: evaluating the alerts of customer ${JSON.stringify(customerId)} failed (its usage is recorded; evaluated again at its next record): ${redactSecrets(error.message)}`);
        }
        await deletePendingUsage(ctx.store, rows);
        report.customers += new Set(rows.map((row) => row.customerId)).size - failed.size;
        report.failed += failed.size;
        after = rows[rows.length - 1]!.customerId;
      }
    } catch (error) {
      failures.inc({ reason: "store" });
      throw error;
    }
    return report;
  }

  return { evaluate };
}
