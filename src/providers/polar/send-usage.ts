import { canonicalDecimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { invalidTimestampError, quantityOf, unmappedMeterError } from "../errors.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import type { ProviderUsageEvent, PushOutcome } from "../types.ts";
import { allOutcomes, prepareEach, sendInChunks, sendOrSplit } from "../send-in-chunks.ts";
import type { PolarClient, PolarUsageEvent } from "./client.ts";
import type { PolarMeters } from "./config.ts";
import { polarErrorToBillingError } from "./errors.ts";

/**
 * Events per ingest request. Polar documents no cap for `POST /v1/events/ingest`; 100 keeps a
 * request small enough that one refused event costs little to isolate.
 */
export const POLAR_BATCH_SIZE = 100;

export interface PolarUsageDeps {
  client: PolarClient;
  /** Paces every request to Polar; told about its 429 answers. */
  limiter: RequestLimiter;
  meters: PolarMeters;
  now: () => Date;
}

/**
 * Sends usage to Polar's event ingestion in requests of up to 100 events. The hub's transactionId
 * is the event's `external_id`, "your unique identifier for this event. Useful for deduplication"
 * (`EventCreateExternalCustomer` in the SDK's models): Polar skips a repeat and counts it in the
 * answer's `duplicates` ("Number of duplicate events skipped", `EventsIngestResponse`), so a resend
 * after a crash or a lost reply counts once. The customer is named by `external_customer_id`,
 * "ID of the customer in your system" (`provider_ids.polar`, else billhub's customer id). The
 * quantity goes in the meter's metadata property as a JSON number: Polar's sum aggregation reads
 * only numeric metadata (a string value is left out of the meter), so a quantity a JSON number
 * cannot carry digit for digit is refused rather than rounded.
 *
 * Polar answers per request, not per event: a request whose events were all duplicates is
 * `already_delivered`, any other accepted request `delivered` (which of its events were
 * duplicates is not said). A request refused as a whole (422) is split and its events sent one by
 * one to find the one at fault; the others are not counted twice (same `external_id`s).
 */
export async function sendPolarUsage(batch: readonly ProviderUsageEvent[], deps: PolarUsageDeps): Promise<PushOutcome[]> {
  const { outcomes, ready } = prepareEach(batch, (event) => usageItem(event, deps.meters));
  await sendInChunks(ready, outcomes, POLAR_BATCH_SIZE, (chunk) =>
    sendOrSplit(chunk, outcomes, {
      limiter: deps.limiter,
      send: (items) => deps.client.ingest(items),
      // Polar answers per request: all duplicates is already delivered, anything else delivered.
      accepted: (answer, sent) => {
        const status = answer.inserted === 0 && (answer.duplicates ?? 0) === sent.length ? "already_delivered" : "delivered";
        return sent.map((ready) => ({ transactionId: ready.event.transactionId, status }));
      },
      toError: (error) => polarErrorToBillingError(error),
    }),
  );
  return allOutcomes(outcomes, "polar");
}

/** The event as Polar ingests it, or why it cannot be sent. */
function usageItem(event: ProviderUsageEvent, meters: PolarMeters): PolarUsageEvent | BillingError {
  const mapping = meters[event.meter];
  if (mapping === undefined) return unmappedMeterError("polar", event, Object.keys(meters), `{ "eventName": "<Polar meter event name>" }`);
  const badTimestamp = invalidTimestampError("polar", event);
  if (badTimestamp) return badTimestamp;
  const value = quantityOf("polar", event);
  if (value instanceof BillingError) return value;
  const details = { transactionId: event.transactionId, quantity: event.quantity };
  if (value.coef < 0n) {
    // Polar documents no meaning for a negative value in a meter; the correction is left to Polar (a credit or refund).
    return new BillingError("PROVIDER_UNSUPPORTED", `Polar usage events carry no documented negative values; ${event.quantity} (transaction ${event.transactionId}) is an adjustment to make in Polar, then resolve the transaction`, {
      provider: "polar",
      field: "quantity",
      details,
    });
  }
  const exact = canonicalDecimal(event.quantity);
  const quantity = Number(exact);
  if (String(quantity) !== exact) {
    return new BillingError("PROVIDER_UNSUPPORTED", `Polar meters read quantities as JSON numbers; ${event.quantity} (transaction ${event.transactionId}) has more digits than a number carries exactly and was not rounded; record it in Polar directly, then resolve the transaction`, {
      provider: "polar",
      field: "quantity",
      details,
    });
  }
  return {
    name: mapping.eventName,
    external_customer_id: event.providerCustomerId ?? event.customerId,
    external_id: event.transactionId,
    timestamp: event.timestamp.toISOString(),
    metadata: { ...scalarProperties(event.properties), [mapping.quantityProperty]: quantity },
  };
}

/** The event's properties Polar's metadata can hold (strings, numbers, booleans); others are left out. */
function scalarProperties(properties: Record<string, unknown>): Record<string, string | number | boolean> {
  const kept: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) kept[key] = value;
  }
  return kept;
}
