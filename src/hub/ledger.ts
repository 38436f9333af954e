import type { HubContext } from "./context.ts";
import { recordAdjustment, recordOne, recordUsage } from "./ledger/record.ts";
import { resetFeatureUsage } from "./ledger/resets.ts";
import { featureUsage, meterUsage, usage } from "./ledger/usage.ts";
import type { AdjustmentInput, RecordResult, UsageEventInput, UsageQuery, UsageReset, UsageResult } from "./ledger/types.ts";

export { recordUsage, featureUsage, meterUsage };
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
  /** The aggregate of a meter or a feature over a window. */
  usage(query: UsageQuery): Promise<UsageResult>;
}

/** Builds the ledger's slice of the hub from a context. */
export function createLedger(ctx: HubContext): LedgerApi {
  return {
    record: (input) => ctx.store.transaction((tx) => recordOne(tx, ctx, input)),
    recordBatch: (inputs) => ctx.store.transaction((tx) => recordUsage(tx, ctx, inputs)),
    adjust: (input) => ctx.store.transaction((tx) => recordAdjustment(tx, ctx, input)),
    resetUsage: (customerId, feature, options) => ctx.store.transaction((tx) => resetFeatureUsage(tx, ctx, customerId, feature, options)),
    usage: (query) => usage(ctx.store, ctx, query),
  };
}
