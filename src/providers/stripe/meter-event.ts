import { significantDigits, toDecimalString } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { invalidTimestampError, missingCustomerError, quantityOf, unmappedMeterError } from "../errors.ts";
import type { ProviderUsageEvent } from "../types.ts";
import type { StripeMeters } from "./config.ts";

export type { StripeMeters };

/** A usage event checked against Stripe's rules and shaped as a meter event. */
export interface MeterEventInput {
  event_name: string;
  identifier: string;
  payload: Record<string, string>;
  timestamp: Date;
}

const DAY_MS = 86_400_000;
/** Stripe takes meter events from the past 35 calendar days … */
export const MAX_AGE_MS = 35 * DAY_MS;
/** … and at most 5 minutes ahead (clock drift). */
export const MAX_AHEAD_MS = 5 * 60_000;
/** Stripe's limit on `identifier`. */
const MAX_IDENTIFIER_LENGTH = 100;
/** Stripe rejects values with more significant digits than a double holds exactly. */
const MAX_SIGNIFICANT_DIGITS = 15;

/**
 * Checks one usage event against what Stripe meter events accept, before anything is sent, and
 * returns the meter event or the error to report. Negative values are sent: Stripe documents
 * them as the way to correct over-reported usage on `sum` meters (a cycle total below zero bills 0).
 *
 * @example
 * toMeterEvent({ transactionId: "tx_1", customerId: "c1", providerCustomerId: "cus_1", meter: "api_calls",
 *   quantity: "3", timestamp: now, properties: {} }, { api_calls: { eventName: "api_call", ... } }, now)
 * // { event_name: "api_call", identifier: "tx_1", payload: { stripe_customer_id: "cus_1", value: "3" }, timestamp: now }
 */
export function toMeterEvent(event: ProviderUsageEvent, meters: StripeMeters, now: Date): MeterEventInput | BillingError {
  const meter = meters[event.meter];
  if (meter === undefined) return unmappedMeterError("stripe", event, Object.keys(meters), `{ "eventName": "<Stripe meter event_name>" }`);
  if (event.providerCustomerId === undefined || event.providerCustomerId === "") return missingCustomerError("stripe", event, "cus_...");
  if (event.transactionId.length > MAX_IDENTIFIER_LENGTH) {
    return unsupported(event, `transactionId is ${event.transactionId.length} characters; Stripe meter event identifiers hold at most ${MAX_IDENTIFIER_LENGTH}`, "transactionId");
  }

  const value = quantityOf("stripe", event);
  if (value instanceof BillingError) return value;
  if (value.scale > 0 && !meter.decimalValues) {
    return unsupported(
      event,
      `Stripe meter event values are whole numbers; ${event.quantity} cannot be sent to meter ${JSON.stringify(meter.eventName)}. Record usage in whole units (e.g. milli-units), or, if Stripe has enabled decimal values on the account, set stripe.meters.${event.meter}.decimalValues`,
      "quantity",
    );
  }
  if (significantDigits(value) > MAX_SIGNIFICANT_DIGITS) {
    return unsupported(event, `Stripe meter event values carry at most ${MAX_SIGNIFICANT_DIGITS} significant digits; ${event.quantity} has ${significantDigits(value)}`, "quantity");
  }

  const badTimestamp = invalidTimestampError("stripe", event);
  if (badTimestamp) return badTimestamp;
  const age = now.getTime() - event.timestamp.getTime();
  if (age > MAX_AGE_MS) {
    return new BillingError(
      "USAGE_TOO_OLD",
      `Usage ${event.transactionId} at ${event.timestamp.toISOString()} is older than Stripe's 35-day meter event window; bill it through invoice items instead`,
      { provider: "stripe", field: "timestamp", details: { transactionId: event.transactionId, timestamp: event.timestamp.toISOString() } },
    );
  }
  if (-age > MAX_AHEAD_MS) {
    // Early, not wrong: once the clock catches up the same event is accepted, so retry then.
    const wait = Math.ceil((-age - MAX_AHEAD_MS) / 1000);
    return new BillingError(
      "USAGE_IN_FUTURE",
      `Usage ${event.transactionId} at ${event.timestamp.toISOString()} is more than 5 minutes ahead of now (${now.toISOString()}); Stripe refuses it until ${wait}s from now. Check the recording clock`,
      { provider: "stripe", field: "timestamp", retryAfterSeconds: wait, details: { transactionId: event.transactionId, timestamp: event.timestamp.toISOString() } },
    );
  }

  return {
    event_name: meter.eventName,
    identifier: event.transactionId,
    payload: { [meter.customerPayloadKey]: event.providerCustomerId, [meter.valuePayloadKey]: toDecimalString(value) },
    timestamp: event.timestamp,
  };
}

function unsupported(event: ProviderUsageEvent, message: string, field: string): BillingError {
  return new BillingError("PROVIDER_UNSUPPORTED", message, { provider: "stripe", field, details: { transactionId: event.transactionId, quantity: event.quantity } });
}
