import type { Aggregation } from "../../core/catalog/index.ts";
import type { NamedWindow } from "../../core/periods.ts";
import type { UsageEvent, UsageKind } from "../../store/ledger/event-row.ts";

export type { UsageEvent, UsageKind };

/** One metered event as a caller records it. */
export interface UsageEventInput {
  customerId: string;
  /** A meter key of the catalog. */
  meter: string;
  /** Exact decimal ("0.25", "1500" or 1500); never negative for usage. */
  quantity: string | number;
  /**
   * The caller's idempotency key (1–100 printable ASCII characters, unique within the hub
   * database). It is also the key sent to providers, so derive it from what caused the usage.
   */
  transactionId: string;
  /** When the usage happened (a Date or an ISO 8601 string with a zone); defaults to now. */
  timestamp?: Date | string;
  /** JSON metadata such as `{ model: "gpt-5" }`: counted by unique_count meters, filterable. */
  properties?: Record<string, unknown>;
  /**
   * "correction" records into a period that has already been invoiced (closed); it needs a
   * `reason` and, on sum and count meters, may be negative to take usage back.
   */
  kind?: "usage" | "correction";
  reason?: string;
}

/** A refund or a bonus: usage given back to the customer, with the reason kept for audit. */
export interface AdjustmentInput {
  customerId: string;
  meter: string;
  kind: "refund" | "bonus";
  /** How much usage is given back, as a positive amount; the ledger stores it negated. */
  quantity: string | number;
  reason: string;
  transactionId: string;
  timestamp?: Date | string;
  properties?: Record<string, unknown>;
}

/** `duplicate`: the transaction id was already recorded with the same content; `event` is the original. */
export interface RecordResult {
  status: "created" | "duplicate";
  event: UsageEvent;
}

/** A window to aggregate over: a named window at the hub's clock (or `at`), or a custom `[from, to)`. */
export type WindowInput = NamedWindow | { from: Date | string; to: Date | string };

export interface UsageQuery {
  customerId: string;
  /** Exactly one of meter or feature. A feature counts only usage after its last reset. */
  meter?: string;
  feature?: string;
  /** Defaults to the feature's reset window, or to the billing period for a meter. */
  window?: WindowInput;
  /** The moment the named window is taken at (a Date or an ISO 8601 string with a zone); defaults to now. */
  at?: Date | string;
  /** Only events whose property has exactly this text value (`properties ->> key`). */
  filter?: Record<string, string>;
}

export interface UsageResult {
  customerId: string;
  meter: string;
  feature: string | null;
  aggregation: Aggregation;
  window: { from: Date | null; to: Date | null };
  /** Exact decimal. */
  value: string;
}

export type StatsGroupBy = "hour" | "day" | "week" | "month";

export interface StatsQuery {
  customerId: string;
  meter: string;
  window?: WindowInput;
  at?: Date | string;
  groupBy: StatsGroupBy;
  filter?: Record<string, string>;
}

export interface BatchStatsQuery {
  customerIds: string[];
  meters: string[];
  window?: WindowInput;
  at?: Date | string;
  groupBy: StatsGroupBy;
  filter?: Record<string, string>;
}

export interface StatsBucket {
  /** The bucket's start, clipped to the window. */
  from: Date;
  /** The bucket's end (exclusive), clipped to the window. */
  to: Date;
  value: string;
}

export interface Stats {
  customerId: string;
  meter: string;
  aggregation: Aggregation;
  groupBy: StatsGroupBy;
  window: { from: Date; to: Date };
  buckets: StatsBucket[];
  /** The meter's aggregate over the whole window (for unique_count: distinct values in the window). */
  total: string;
  /** Mean of the bucket values, rounded half-even to 6 decimal places. */
  average: string;
  min: string;
  max: string;
}

export interface ListEventsQuery {
  customerId: string;
  meter?: string;
  kind?: UsageKind;
  /** Events with timestamp ≥ from. */
  from?: Date | string;
  /** Events with timestamp < to. */
  to?: Date | string;
  /** Page size, 1–1000; default 100. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Newest first (default) or oldest first. */
  order?: "desc" | "asc";
}

export interface EventPage {
  events: UsageEvent[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface UsageReset {
  customerId: string;
  feature: string;
  resetAt: Date;
  reason: string;
}
