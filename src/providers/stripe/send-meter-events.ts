import type Stripe from "stripe";
import { failedOutcome, notAttemptedError, stopsBatch } from "../errors.ts";
import type { PushOutcome } from "../types.ts";
import { isDuplicateIdentifier, stripeErrorToBillingError } from "./errors.ts";
import type { MeterEventInput } from "./meter-event.ts";

export interface ReadyMeterEvent {
  index: number;
  transactionId: string;
  input: MeterEventInput;
}

/**
 * Sends meter events one by one through v1 `POST /v1/billing/meter_events`, in order. Stripe
 * allows one concurrent call per customer per meter, so calls are not parallel. The SDK picks a
 * fresh Idempotency-Key per call on purpose: Stripe replays a saved 500 for a reused key for 24 h,
 * while the `identifier` (= transactionId) already dedupes resends, whose 400 counts as delivered.
 */
export async function sendMeterEvents(client: Stripe, ready: readonly ReadyMeterEvent[], now: () => Date): Promise<Map<number, PushOutcome>> {
  const outcomes = new Map<number, PushOutcome>();
  for (const [position, item] of ready.entries()) {
    try {
      await client.billing.meterEvents.create({
        event_name: item.input.event_name,
        identifier: item.input.identifier,
        payload: item.input.payload,
        timestamp: Math.floor(item.input.timestamp.getTime() / 1000),
      });
      outcomes.set(item.index, { transactionId: item.transactionId, status: "delivered" });
    } catch (error) {
      if (isDuplicateIdentifier(error, item.input.identifier)) {
        outcomes.set(item.index, { transactionId: item.transactionId, status: "already_delivered" });
        continue;
      }
      const failure = stripeErrorToBillingError(error, now());
      outcomes.set(item.index, failedOutcome(item, failure));
      if (stopsBatch(failure)) {
        const skipped = notAttemptedError(failure);
        for (const rest of ready.slice(position + 1)) outcomes.set(rest.index, failedOutcome(rest, skipped));
        break;
      }
    }
  }
  return outcomes;
}
