import { canonicalDecimal } from "../../core/decimal.ts";

/** What a ledger row is: metered usage, a correction of an invoiced period, or an adjustment. */
export type UsageKind = "usage" | "refund" | "bonus" | "correction";

/** A ledger row as stored. */
export interface UsageEvent {
  transactionId: string;
  customerId: string;
  meter: string;
  /** Canonical exact decimal; negative for refunds and bonuses. */
  quantity: string;
  timestamp: Date;
  /** When the ledger stored the event (the database's clock). */
  recordedAt: Date;
  kind: UsageKind;
  reason: string | null;
  properties: Record<string, unknown>;
}

/** Columns of usage_events (alias `e`) as `rowToEvent` reads them; quantity as text keeps it exact. */
export const EVENT_COLUMNS =
  "e.transaction_id, e.customer_id, e.meter, e.quantity::text AS quantity, e.occurred_at, e.recorded_at, e.kind, e.reason, e.properties";

export interface EventRow {
  [column: string]: unknown;
  transaction_id: string;
  customer_id: string;
  meter: string;
  quantity: string;
  occurred_at: Date;
  recorded_at: Date;
  kind: UsageKind;
  reason: string | null;
  properties: Record<string, unknown>;
}

export function rowToEvent(row: EventRow): UsageEvent {
  return {
    transactionId: row.transaction_id,
    customerId: row.customer_id,
    meter: row.meter,
    quantity: canonicalDecimal(row.quantity),
    timestamp: row.occurred_at,
    recordedAt: row.recorded_at,
    kind: row.kind,
    reason: row.reason,
    properties: row.properties,
  };
}
