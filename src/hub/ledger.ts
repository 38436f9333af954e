import { markPendingUsage } from "../store/alerts/pending-usage.ts";
import type { Sql } from "../store/types.ts";
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
 * `recordBatch` create on a watched meter is marked pending evaluation against the usage and
 * spend alerts in the same transaction (see evaluate-pending.ts).
 */
export function createLedger(ctx: HubContext, alerts?: Pick<AlertFirer, "watches">): LedgerApi {
  const counted = async <T extends RecordResult | RecordResult[]>(write: Promise<T>): Promise<T> => {
    const results = await write;
    countRecorded(ctx, Array.isArray(results) ? results : [results]);
    return results;
  };
  /** The write, and in its transaction the marks of what it created that an alert watches: pending exactly when recorded. */
  const alerted = <T extends RecordResult | RecordResult[]>(write: (tx: Sql) => Promise<T>): Promise<T> =>
    counted(
      ctx.store.transaction(async (tx) => {
        const results = await write(tx);
        if (alerts === undefined) return results;
        const created = (Array.isArray(results) ? results : [results]).filter((result) => result.status === "created" && alerts.watches(result.event.meter));
        await markPendingUsage(tx, created.map(({ event }) => ({ customerId: event.customerId, occurredAt: event.timestamp })));
        return results;
      }),
    );
  return {
    record: (input) => alerted((tx) => recordOne(tx, ctx, input)),
    recordBatch: (inputs) => alerted((tx) => recordUsage(tx, ctx, inputs)),
    adjust: (input) => counted(ctx.store.transaction((tx) => recordAdjustment(tx, ctx, input))),
    resetUsage: (customerId, feature, options) => ctx.store.transaction((tx) => resetFeatureUsage(tx, ctx, customerId, feature, options)),
    usage: (query) => usage(ctx.store, ctx, query),
    stats: (query) => stats(ctx.store, ctx, query),
    batchStats: (query) => batchStats(ctx.store, ctx, query),
    listEvents: (query) => listEvents(ctx.store, ctx, query),
    listResets: (customerId, feature) => listResets(ctx.store, ctx, customerId, feature),
  };
}
