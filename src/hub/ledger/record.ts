import { routeFor, type Route } from "../../providers/routing.ts";
import { insertEvents, type LedgerRow, type OutboxRow } from "../../store/ledger/insert-events.ts";
import type { Sql } from "../../store/types.ts";
import type { HubContext } from "../context.ts";
import { checkBatch, itemErrors, normalizeAdjustment, normalizeUsageInputs, sameContent, type ItemError, type NormalizedEvent } from "./input.ts";
import type { AdjustmentInput, RecordResult, UsageEventInput } from "./types.ts";

function fieldOf(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

/**
 * The outbox rows of the events at `indexes`: for each, the customer's route and mirrors, minus
 * providers usage does not leave billhub for (`remote: false`), which have nothing to deliver. Every kind is queued, refunds and bonuses included: an
 * adapter that cannot express one fails it permanently (a dead row someone sees), never silently.
 */
function outboxRows(ctx: HubContext, events: readonly NormalizedEvent[], indexes: readonly number[]): OutboxRow[] {
  const routes = new Map<string, Route>();
  const rows: OutboxRow[] = [];
  for (const index of indexes) {
    const { transactionId, customerId } = events[index]!;
    let route = routes.get(customerId);
    if (route === undefined) {
      route = routeFor(ctx.config.provider, customerId);
      routes.set(customerId, route);
    }
    if (ctx.providers.get(route.primary).remote) rows.push({ transactionId, provider: route.primary, role: "primary" });
    for (const mirror of route.mirrors) {
      if (ctx.providers.get(mirror).remote) rows.push({ transactionId, provider: mirror, role: "mirror" });
    }
  }
  return rows;
}

function ledgerRow(event: NormalizedEvent): LedgerRow {
  return {
    transactionId: event.transactionId,
    customerId: event.customerId,
    meter: event.meter.key,
    quantity: event.quantity,
    occurredAt: event.occurredAt,
    timestampGiven: event.timestampGiven,
    kind: event.kind,
    reason: event.reason,
    propertiesJson: event.propertiesJson,
  };
}

/**
 * Writes normalized events on `tx`. Within the call, a repeated transaction id with the same
 * content is a duplicate of its first occurrence and one with other content refuses the call.
 * Unknown customers, closed periods and conflicts with stored events refuse the whole call with
 * per-item errors, and then nothing of this call is left written on `tx`.
 */
async function writeEvents(tx: Sql, ctx: HubContext, events: NormalizedEvent[], label: (index: number) => string): Promise<RecordResult[]> {
  const errors: ItemError[] = [];
  const firstIndex = new Map<string, number>();
  const unique: number[] = [];
  events.forEach((event, index) => {
    const first = firstIndex.get(event.transactionId);
    if (first === undefined) {
      firstIndex.set(event.transactionId, index);
      unique.push(index);
    } else if (!sameContent(events[first]!, event)) {
      const field = fieldOf(label(index), "transactionId");
      errors.push({ index, field, code: "IDEMPOTENCY_CONFLICT", message: `${field} "${event.transactionId}" appears earlier in this call (${label(first) || "item"}) with different content` });
    }
  });
  if (errors.length > 0) throw itemErrors(errors, events.length);

  const outcomes = await insertEvents(
    tx,
    unique.map((index) => ledgerRow(events[index]!)),
    outboxRows(ctx, events, unique),
  );
  // By input index, for the first occurrence of each transaction id.
  const results: RecordResult[] = new Array(events.length);
  outcomes.forEach((outcome, position) => {
    const index = unique[position]!;
    const event = events[index]!;
    switch (outcome.state) {
      case "inserted":
        results[index] = {
          status: "created",
          event: {
            transactionId: event.transactionId,
            customerId: event.customerId,
            meter: event.meter.key,
            quantity: event.quantity,
            timestamp: event.occurredAt,
            recordedAt: outcome.recordedAt,
            kind: event.kind,
            reason: event.reason,
            properties: event.properties,
          },
        };
        break;
      case "duplicate":
        results[index] = { status: "duplicate", event: outcome.event };
        break;
      case "skipped":
        break;
      case "unknown_customer": {
        const field = fieldOf(label(index), "customerId");
        errors.push({ index, field, code: "CUSTOMER_NOT_FOUND", message: `customer ${JSON.stringify(event.customerId)} does not exist; create the customer before recording its usage` });
        break;
      }
      case "closed": {
        const field = fieldOf(label(index), "timestamp");
        errors.push({
          index,
          field,
          code: "PERIOD_CLOSED",
          message: `${event.occurredAt.toISOString()} falls in an invoiced (closed) period of customer ${JSON.stringify(event.customerId)}; record it as kind "correction" with a reason to amend that period`,
        });
        break;
      }
      case "conflict": {
        const field = fieldOf(label(index), "transactionId");
        const stored = outcome.event;
        errors.push({
          index,
          field,
          code: "IDEMPOTENCY_CONFLICT",
          message: `transaction ${JSON.stringify(event.transactionId)} was already recorded with different content (${stored.kind} of ${stored.quantity} on meter "${stored.meter}" for customer ${JSON.stringify(stored.customerId)} at ${stored.timestamp.toISOString()}); use a new transactionId for new usage`,
        });
        break;
      }
      case "archived": {
        const field = fieldOf(label(index), "transactionId");
        const month = outcome.occurredAt.toISOString().slice(0, 7);
        errors.push({
          index,
          field,
          code: "IDEMPOTENCY_CONFLICT",
          message: `transaction ${JSON.stringify(event.transactionId)} was already recorded, in ${month}, whose ledger is archived; it is not recorded again (use a new transactionId for new usage)`,
        });
        break;
      }
      default: {
        const unknown: never = outcome;
        throw new Error(`unexpected outcome ${JSON.stringify(unknown)}`);
      }
    }
  });
  if (errors.length > 0) throw itemErrors(errors.sort((a, b) => a.index - b.index), events.length);
  return events.map((event, index) => results[index] ?? { status: "duplicate", event: results[firstIndex.get(event.transactionId)!]!.event });
}

/**
 * Counts usage events at `/metrics` (`billhub_usage_events_total{outcome="created"|"duplicate"}`).
 * Call it once the transaction that wrote them has committed: a call that rolled back (a refused
 * batch, a refused consume) recorded nothing and counts nothing.
 *
 * @example
 * countRecorded(ctx, await ctx.store.transaction((tx) => recordUsage(tx, ctx, inputs)));
 */
export function countRecorded(ctx: HubContext, results: ReadonlyArray<{ status: RecordResult["status"] | "refused" }>): void {
  const counter = ctx.metrics.counter("billhub_usage_events_total", "Usage events recorded (created) and retries answered as duplicates");
  let created = 0;
  let duplicate = 0;
  for (const { status } of results) {
    if (status === "created") created += 1;
    else if (status === "duplicate") duplicate += 1;
  }
  if (created > 0) counter.inc({ outcome: "created" }, created);
  if (duplicate > 0) counter.inc({ outcome: "duplicate" }, duplicate);
}

/**
 * The whole record path on a transaction the caller holds: validation against the catalog, the
 * customer and closed-period checks, idempotency, the ledger insert and the outbox rows.
 * Results come in input order. When it refuses the call (a BillingError), it has left nothing
 * written on `tx`, so the caller may carry on with its transaction; any other error (the store
 * failing) leaves `tx` unusable, so let that escape `store.transaction`.
 *
 * @example
 * const [result] = await store.transaction((tx) =>
 *   recordUsage(tx, ctx, [{ customerId: "cus_1", meter: "api_calls", quantity: 1, transactionId: "req_42" }]),
 * );
 * result.status // "created" (or "duplicate" on a retry)
 */
export async function recordUsage(tx: Sql, ctx: HubContext, inputs: UsageEventInput[]): Promise<RecordResult[]> {
  const events = normalizeUsageInputs(ctx.catalog, ctx.now(), checkBatch(inputs), (index) => `events.${index}`);
  return writeEvents(tx, ctx, events, (index) => `events.${index}`);
}

/** `recordUsage` for one event, with error fields named without the `events.N.` prefix. */
export async function recordOne(tx: Sql, ctx: HubContext, input: UsageEventInput): Promise<RecordResult> {
  const events = normalizeUsageInputs(ctx.catalog, ctx.now(), [input], () => "");
  return (await writeEvents(tx, ctx, events, () => ""))[0]!;
}

/** Records a refund or bonus: a negative ledger entry with its reason, idempotent like usage. */
export async function recordAdjustment(tx: Sql, ctx: HubContext, input: AdjustmentInput): Promise<RecordResult> {
  const event = normalizeAdjustment(ctx.catalog, ctx.now(), input);
  return (await writeEvents(tx, ctx, [event], () => ""))[0]!;
}
