import { randomBytes } from "node:crypto";
import { add, parseDecimal, toDecimalString, ZERO, type Decimal } from "../../../src/core/decimal.ts";

/** A Stripe billing meter as the stand-in holds it (Stripe's `billing.meter` shape). */
export interface StandInMeter {
  id: string;
  eventName: string;
  formula: "sum" | "count" | "last";
  status: "active" | "inactive";
  customerPayloadKey: string;
  valuePayloadKey: string;
}

/** What a summary reads of a held meter event. */
export interface SummaryEvent {
  eventName: string;
  payload: Record<string, string>;
  /** Unix seconds. */
  timestamp: number;
}

/** A meter in Stripe's JSON shape (`GET /v1/billing/meters`). */
export function meterJson(meter: StandInMeter): Record<string, unknown> {
  return {
    id: meter.id,
    object: "billing.meter",
    created: 1_767_225_600,
    customer_mapping: { event_payload_key: meter.customerPayloadKey, type: "by_id" },
    default_aggregation: { formula: meter.formula },
    display_name: meter.eventName,
    event_name: meter.eventName,
    event_time_window: null,
    livemode: false,
    status: meter.status,
    status_transitions: { deactivated_at: null },
    updated: 1_767_225_600,
    value_settings: { event_payload_key: meter.valuePayloadKey },
  };
}

/** Builds a meter with Stripe's defaults for what is not given. */
export function standInMeter(input: { eventName: string; formula?: StandInMeter["formula"]; status?: StandInMeter["status"]; id?: string }): StandInMeter {
  return {
    id: input.id ?? `mtr_test_${randomBytes(8).toString("hex")}`,
    eventName: input.eventName,
    formula: input.formula ?? "sum",
    status: input.status ?? "active",
    customerPayloadKey: "stripe_customer_id",
    valuePayloadKey: "value",
  };
}

/**
 * Stripe's `billing.meter_event_summary` of one customer's events on a meter over
 * [start, end) (unix seconds, whole minutes), without a grouping window: one summary of the whole
 * range. Values are summed exactly (the stand-in holds them as Stripe's payload strings).
 */
export function summarize(meter: StandInMeter, events: Iterable<SummaryEvent>, customer: string, start: number, end: number): Record<string, unknown> {
  let total: Decimal = ZERO;
  let count = 0;
  let last: { timestamp: number; value: Decimal } | undefined;
  for (const event of events) {
    if (event.eventName !== meter.eventName || event.payload[meter.customerPayloadKey] !== customer) continue;
    if (event.timestamp < start || event.timestamp >= end) continue;
    const value = parseDecimal(event.payload[meter.valuePayloadKey] ?? "0");
    total = add(total, value);
    count += 1;
    if (last === undefined || event.timestamp >= last.timestamp) last = { timestamp: event.timestamp, value };
  }
  const aggregated = meter.formula === "sum" ? total : meter.formula === "count" ? parseDecimal(count) : (last?.value ?? ZERO);
  return {
    id: `mtrusg_test_${randomBytes(10).toString("hex")}`,
    object: "billing.meter_event_summary",
    aggregated_value: Number(toDecimalString(aggregated)),
    end_time: end,
    livemode: false,
    meter: meter.id,
    start_time: start,
  };
}
