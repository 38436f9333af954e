import { canonicalDecimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { invalidTimestampError, quantityOf, unmappedMeterError } from "../errors.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import type { ProviderUsageEvent, PushOutcome } from "../types.ts";
import { allOutcomes, prepareEach, sendInChunks, sendOrSplit } from "../send-in-chunks.ts";
import type { MetronomeClient, MetronomeUsageEvent } from "./client.ts";
import type { MetronomeMeters } from "./config.ts";
import { metronomeErrorToBillingError } from "./errors.ts";

/**
 * Events per ingest request: "a JSON array of between 1 and 100 usage events"
 * (docs.metronome.com/api-reference/usage/ingest-events).
 */
export const METRONOME_BATCH_SIZE = 100;

const DAY_MS = 86_400_000;
/**
 * Metronome keeps a transaction_id for 34 days: "subsequent events within the next 34 days with the
 * same ID are treated as duplicates and ignored", and ingest "supports backdating 34 days"
 * (docs.metronome.com/guides/events/send-usage-events, …/api-reference/usage/ingest-events).
 */
export const METRONOME_DEDUPE_WINDOW_MS = 34 * DAY_MS;
/** "Timestamps more than 24 hours in the future are rejected by the API" (…/guides/events/send-usage-events). */
const MAX_AHEAD_MS = DAY_MS;

export interface MetronomeUsageDeps {
  client: MetronomeClient;
  /** Paces every request to Metronome; told about its 429 answers. */
  limiter: RequestLimiter;
  meters: MetronomeMeters;
  now: () => Date;
}

/**
 * Sends usage to Metronome's ingest endpoint in requests of up to 100 events. The hub's
 * transactionId is Metronome's `transaction_id`, its deduplication key; `customer_id` is the
 * customer's Metronome id or ingest alias (`provider_ids.metronome`, else billhub's customer id);
 * the quantity goes as an exact decimal string in the meter's quantity property, as Metronome
 * asks ("properties … should be represented as strings … Metronome uses arbitrary precision
 * decimals"). Metronome answers a whole request with 200 and an empty body and ignores duplicates
 * silently, so every event of an accepted request is `delivered` (a resend included). When
 * Metronome refuses a request as a whole (400), each event is sent alone to find the one at fault;
 * the others are not counted twice, since the resend carries the same transaction ids.
 */
export async function sendMetronomeUsage(batch: readonly ProviderUsageEvent[], deps: MetronomeUsageDeps): Promise<PushOutcome[]> {
  const now = deps.now();
  const { outcomes, ready } = prepareEach(batch, (event) => usageItem(event, deps.meters, now));
  await sendInChunks(ready, outcomes, METRONOME_BATCH_SIZE, (chunk) =>
    sendOrSplit(chunk, outcomes, {
      limiter: deps.limiter,
      send: (items) => deps.client.ingest(items),
      accepted: (_, sent) => sent.map((ready) => ({ transactionId: ready.event.transactionId, status: "delivered" })),
      toError: (error) => metronomeErrorToBillingError(error, deps.now()),
    }),
  );
  return allOutcomes(outcomes, "metronome");
}

/** The event as Metronome ingests it, or why it cannot be sent. */
function usageItem(event: ProviderUsageEvent, meters: MetronomeMeters, now: Date): MetronomeUsageEvent | BillingError {
  const mapping = meters[event.meter];
  if (mapping === undefined) return unmappedMeterError("metronome", event, Object.keys(meters), `{ "eventType": "<Metronome event_type>" }`);
  const badTimestamp = invalidTimestampError("metronome", event);
  if (badTimestamp) return badTimestamp;
  const details = { transactionId: event.transactionId, timestamp: event.timestamp.toISOString() };
  const age = now.getTime() - event.timestamp.getTime();
  if (age > METRONOME_DEDUPE_WINDOW_MS) {
    return new BillingError("USAGE_TOO_OLD", `Usage ${event.transactionId} at ${event.timestamp.toISOString()} is older than Metronome's 34-day backdating window; record it in Metronome directly (e.g. a credit or an invoice adjustment)`, {
      provider: "metronome",
      field: "timestamp",
      details,
    });
  }
  if (-age > MAX_AHEAD_MS) {
    // Early, not wrong: once the clock catches up Metronome accepts the same event, so retry then.
    const wait = Math.ceil((-age - MAX_AHEAD_MS) / 1000);
    return new BillingError("USAGE_IN_FUTURE", `Usage ${event.transactionId} at ${event.timestamp.toISOString()} is more than 24 hours ahead of now (${now.toISOString()}); Metronome refuses it until ${wait}s from now. Check the recording clock`, {
      provider: "metronome",
      field: "timestamp",
      retryAfterSeconds: wait,
      details,
    });
  }
  const value = quantityOf("metronome", event);
  if (value instanceof BillingError) return value;
  if (value.coef < 0n) {
    // Metronome documents no meaning for a negative property value in a SUM metric; rather than
    // guess, such an adjustment is refused and left to be made in Metronome.
    return new BillingError("PROVIDER_UNSUPPORTED", `Metronome usage events carry no documented negative quantities; ${event.quantity} (transaction ${event.transactionId}) is an adjustment to make in Metronome (a credit), then resolve the transaction`, {
      provider: "metronome",
      field: "quantity",
      details: { transactionId: event.transactionId, quantity: event.quantity },
    });
  }
  return {
    transaction_id: event.transactionId,
    customer_id: event.providerCustomerId ?? event.customerId,
    event_type: mapping.eventType,
    timestamp: event.timestamp.toISOString(),
    properties: { ...event.properties, [mapping.quantityProperty]: canonicalDecimal(event.quantity) },
  };
}
