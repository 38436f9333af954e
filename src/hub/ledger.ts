import { redactSecrets } from "../core/redact.ts";
import type { AlertFirer } from "./alerts/fire-alerts.ts";
import type { HubContext } from "./context.ts";
import { countRecorded, recordAdjustment, recordOne, recordUsage } from "./ledger/record.ts";
import { resetFeatureUsage } from "./ledger/resets.ts";
import { featureUsage, meterUsage, usage } from "./ledger/usage.ts";
import { batchStats, stats } from "./ledger/stats.ts";
import { listEvents, listResets } from "./ledger/events.ts";
import type {
  AdjustmentInput,
  BatchStatsQuery,
  EventPage,
  ListEventsQuery,
  RecordResult,
  Stats,
  StatsQuery,
  UsageEventInput,
  UsageQuery,
  UsageReset,
  UsageResult,
} from "./ledger/types.ts";

export { recordUsage, countRecorded, featureUsage, meterUsage };
export { closePeriod, type ClosePeriodInput } from "../store/ledger/closed-periods.ts";
export { MAX_BATCH } from "./ledger/input.ts";
export type * from "./ledger/types.ts";

/** The usage ledger's part of the hub. */
export interface LedgerApi {
  /**
   * Records one metered event exactly once. A retry with the same transactionId and content
   * answers `duplicate` with the original event; other content is IDEMPOTENCY_CONFLICT.
   *
   * @example
   * await hub.record({ customerId: "cus_1", meter: "llm_tokens", quantity: 1500, transactionId: "completion_7f3a" })
   * // { status: "created", event: { quantity: "1500", ... } }
   */
  record(input: UsageEventInput): Promise<RecordResult>;
  /**
   * Records up to 1,000 events in one transaction; results in input order. Any invalid item,
   * unknown customer, closed period or idempotency conflict refuses the whole batch with
   * per-item errors in `details.items` and records nothing, so retrying a batch never counts
   * an item twice and never drops one silently.
   */
  recordBatch(inputs: UsageEventInput[]): Promise<RecordResult[]>;
  /** A refund or bonus: usage given back with a reason, counted in sum and count meters. */
  adjust(input: AdjustmentInput): Promise<RecordResult>;
  /** Starts a metered feature's usage over; earlier events stay in the ledger. */
  resetUsage(customerId: string, feature: string, options: { reason: string }): Promise<UsageReset>;
  /**
   * The aggregate of a meter or a feature over a window.
   *
   * @example
   * await hub.usage({ customerId: "cus_1", feature: "api" })                              // the feature's reset window
   * await hub.usage({ customerId: "cus_1", meter: "llm_tokens", window: "last_30_days", filter: { model: "gpt-5" } })
   */
  usage(query: UsageQuery): Promise<UsageResult>;
  /** A meter's usage per hour, day, week or month, with total, average, min and max. */
  stats(query: StatsQuery): Promise<Stats>;
  /** `stats` for many customers × meters in one query. */
  batchStats(query: BatchStatsQuery): Promise<Stats[]>;
  /** A customer's ledger for audit, with cursor pagination. */
  listEvents(query: ListEventsQuery): Promise<EventPage>;
  /** A customer's reset points, newest first. */
  listResets(customerId: string, feature?: string): Promise<UsageReset[]>;
}

/**
 * Builds the ledger's slice of the hub from a context. With `alerts`, what `record` and
 * `recordBatch` created is evaluated against the usage and spend alerts once committed.
 */
export function createLedger(ctx: HubContext, alerts?: Pick<AlertFirer, "watches" | "afterRecorded">): LedgerApi {
  const counted = async <T extends RecordResult | RecordResult[]>(write: Promise<T>): Promise<T> => {
    const results = await write;
    countRecorded(ctx, Array.isArray(results) ? results : [results]);
    return results;
  };
  const failures = ctx.metrics.counter("billhub_alert_evaluation_failures_total", "Recorded usage whose alerts could not be evaluated after it committed");
  /**
   * The usage is committed and acknowledged whatever happens here: a failure is logged and
   * counted, and the next usage of the window evaluates the same thresholds again (an alert fires
   * when usage has reached it, not only when one write crosses it).
   */
  const alerted = async <T extends RecordResult | RecordResult[]>(write: Promise<T>): Promise<T> => {
    const results = await counted(write);
    if (alerts === undefined) return results;
    const created = (Array.isArray(results) ? results : [results]).filter((result) => result.status === "created" && alerts.watches(result.event.meter));
    if (created.length === 0) return results;
    try {
      await alerts.afterRecorded(
        ctx.store,
        created.map(({ event }) => ({ customerId: event.customerId, meter: event.meter, occurredAt: event.timestamp })),
      );
    } catch (error) {
      failures.inc();
      console.error(`billhub: evaluating alerts after recording usage failed (the usage is recorded): ${redactSecrets((error as Error).message)}`);
    }
    return results;
  };
  return {
    record: (input) => alerted(ctx.store.transaction((tx) => recordOne(tx, ctx, input))),
    recordBatch: (inputs) => alerted(ctx.store.transaction((tx) => recordUsage(tx, ctx, inputs))),
    adjust: (input) => counted(ctx.store.transaction((tx) => recordAdjustment(tx, ctx, input))),
    resetUsage: (customerId, feature, options) => ctx.store.transaction((tx) => resetFeatureUsage(tx, ctx, customerId, feature, options)),
    usage: (query) => usage(ctx.store, ctx, query),
    stats: (query) => stats(ctx.store, ctx, query),
    batchStats: (query) => batchStats(ctx.store, ctx, query),
    listEvents: (query) => listEvents(ctx.store, ctx, query),
    listResets: (customerId, feature) => listResets(ctx.store, ctx, customerId, feature),
  };
}
