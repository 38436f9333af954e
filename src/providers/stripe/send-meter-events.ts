import type Stripe from "stripe";
import { failedOutcome } from "../errors.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import { sendConcurrently } from "../send-concurrently.ts";
import type { PushOutcome } from "../types.ts";
import { isDuplicateIdentifier, stripeErrorToBillingError } from "./errors.ts";
import type { MeterEventInput } from "./meter-event.ts";

export interface ReadyMeterEvent {
  index: number;
  transactionId: string;
  input: MeterEventInput;
}

/**
 * Sends meter events through v1 `POST /v1/billing/meter_events`, one call per event, concurrently
 * within the limiter's rate and window. Stripe takes one concurrent call per customer per meter,
 * so calls of one customer's meter go one after another, in order. The SDK picks a fresh
 * Idempotency-Key per call on purpose: Stripe replays a saved 500 for a reused key for 24 h,
 * while the `identifier` (= transactionId) already dedupes resends, whose 400 counts as delivered.
 */
export async function sendMeterEvents(client: Stripe, limiter: RequestLimiter, ready: readonly ReadyMeterEvent[], now: () => Date): Promise<Map<number, PushOutcome>> {
  const requests = ready.map((item) => ({ items: [item], item, key: `${item.input.payload.stripe_customer_id}\u0000${item.input.event_name}` }));
  return sendConcurrently(
    limiter,
    requests,
    async ({ item }): Promise<PushOutcome[]> => {
      try {
        await client.billing.meterEvents.create({
          event_name: item.input.event_name,
          identifier: item.input.identifier,
          payload: item.input.payload,
          timestamp: Math.floor(item.input.timestamp.getTime() / 1000),
        });
        return [{ transactionId: item.transactionId, status: "delivered" }];
      } catch (error) {
        if (isDuplicateIdentifier(error, item.input.identifier)) return [{ transactionId: item.transactionId, status: "already_delivered" }];
        return [failedOutcome(item, stripeErrorToBillingError(error, now()))];
      }
    },
    "stripe",
  );
}
