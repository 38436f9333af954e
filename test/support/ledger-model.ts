import { add, cmp, neg, parseDecimal, toDecimalString, ZERO, type Decimal } from "../../src/core/decimal.ts";
import type { Aggregation } from "../../src/core/catalog/index.ts";

/**
 * A plain in-memory reference for the ledger's rules, written from the documented semantics and
 * nothing else: what each call answers and what each aggregate comes to. The property test runs
 * the same calls through the hub and compares.
 */
export interface ModelInput {
  transactionId: string;
  customerId: string;
  meter: string;
  quantity: string;
  timestamp?: Date;
  properties?: Record<string, string>;
  kind: "usage" | "correction" | "refund" | "bonus";
  reason?: string;
}

interface ModelEvent {
  transactionId: string;
  customerId: string;
  meter: string;
  /** Signed, as stored. */
  quantity: Decimal;
  at: Date;
  timestampGiven: boolean;
  kind: ModelInput["kind"];
  reason: string | null;
  properties: Record<string, string>;
}

export type Outcome = { statuses: Array<"created" | "duplicate"> } | { error: string };

const canonical = (properties: Record<string, string>) => JSON.stringify(Object.keys(properties).sort().map((k) => [k, properties[k]]));

export class LedgerModel {
  private readonly events = new Map<string, ModelEvent>();
  private readonly resets: Array<{ customerId: string; feature: string; at: Date }> = [];
  private readonly closed: Array<{ customerId: string; from: Date; to: Date }> = [];

  private toEvent(input: ModelInput, now: Date): ModelEvent {
    const quantity = parseDecimal(input.quantity);
    return {
      transactionId: input.transactionId,
      customerId: input.customerId,
      meter: input.meter,
      quantity: input.kind === "refund" || input.kind === "bonus" ? neg(quantity) : quantity,
      at: input.timestamp ?? now,
      timestampGiven: input.timestamp !== undefined,
      kind: input.kind,
      reason: input.reason ?? null,
      properties: input.properties ?? {},
    };
  }

  private same(a: ModelEvent, b: ModelEvent): boolean {
    return (
      a.customerId === b.customerId &&
      a.meter === b.meter &&
      cmp(a.quantity, b.quantity) === 0 &&
      a.kind === b.kind &&
      a.reason === b.reason &&
      canonical(a.properties) === canonical(b.properties) &&
      (!a.timestampGiven || !b.timestampGiven || a.at.getTime() === b.at.getTime())
    );
  }

  private isClosed(event: ModelEvent): boolean {
    return event.kind !== "correction" && this.closed.some((c) => c.customerId === event.customerId && c.from <= event.at && event.at < c.to);
  }

  /** One call of record, recordBatch or adjust: all of it applies, or none of it. */
  record(inputs: ModelInput[], now: Date): Outcome {
    const events = inputs.map((input) => this.toEvent(input, now));
    const first = new Map<string, ModelEvent>();
    for (const event of events) {
      const earlier = first.get(event.transactionId);
      if (earlier === undefined) first.set(event.transactionId, event);
      else if (!this.same(earlier, event)) return { error: "IDEMPOTENCY_CONFLICT" };
    }
    for (const event of first.values()) {
      const stored = this.events.get(event.transactionId);
      if (stored !== undefined && !this.same(stored, event)) return { error: "IDEMPOTENCY_CONFLICT" };
      if (stored === undefined && this.isClosed(event)) return { error: "PERIOD_CLOSED" };
    }
    const statuses: Array<"created" | "duplicate"> = [];
    const seen = new Set<string>();
    for (const event of events) {
      if (seen.has(event.transactionId) || this.events.has(event.transactionId)) {
        statuses.push("duplicate");
      } else {
        statuses.push("created");
      }
      seen.add(event.transactionId);
    }
    for (const event of first.values()) if (!this.events.has(event.transactionId)) this.events.set(event.transactionId, event);
    return { statuses };
  }

  reset(customerId: string, feature: string, at: Date): void {
    this.resets.push({ customerId, feature, at });
  }

  close(customerId: string, from: Date, to: Date): void {
    this.closed.push({ customerId, from, to });
  }

  /** The aggregate of a meter over [from, to), counting only events at or after `since`. */
  aggregate(q: { customerId: string; meter: string; aggregation: Aggregation; property?: string; from: Date | null; to: Date | null; since?: Date | null }): string {
    const events = [...this.events.values()].filter(
      (e) =>
        e.customerId === q.customerId &&
        e.meter === q.meter &&
        (q.from === null || e.at >= q.from) &&
        (q.to === null || e.at < q.to) &&
        (q.since == null || e.at >= q.since),
    );
    const measured = events.filter((e) => e.kind === "usage" || e.kind === "correction");
    switch (q.aggregation) {
      case "sum":
        return toDecimalString(events.reduce((total, e) => add(total, e.quantity), ZERO));
      case "count":
        return toDecimalString(events.reduce((total, e) => add(total, e.kind === "usage" ? parseDecimal(1) : e.quantity), ZERO));
      case "max":
        return toDecimalString(measured.reduce((best, e) => (cmp(e.quantity, best) > 0 ? e.quantity : best), measured[0]?.quantity ?? ZERO));
      case "last": {
        const latest = [...measured].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.transactionId < b.transactionId ? -1 : 1)).at(-1);
        return toDecimalString(latest?.quantity ?? ZERO);
      }
      case "unique_count":
        return String(new Set(measured.map((e) => e.properties[q.property!]).filter((v) => v !== undefined)).size);
      default:
        throw new Error(`unknown aggregation ${String(q.aggregation)}`);
    }
  }

  /** The latest reset of a feature strictly before the window's end. */
  lastReset(customerId: string, feature: string, to: Date | null): Date | null {
    const at = this.resets.filter((r) => r.customerId === customerId && r.feature === feature && (to === null || r.at < to)).map((r) => r.at.getTime());
    return at.length === 0 ? null : new Date(Math.max(...at));
  }
}
