import { canonicalDecimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { failedOutcome, invalidTimestampError, notAttemptedError, quantityOf, stopsBatch, unmappedMeterError } from "../errors.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import type { ProviderUsageEvent, PushOutcome } from "../types.ts";
import type { OpenMeterClient, OpenMeterEvent } from "./client.ts";
import type { OpenMeterMeters } from "./config.ts";
import { openmeterErrorToBillingError } from "./errors.ts";

/**
 * Events per ingest request. OpenMeter documents no cap for `application/cloudevents-batch+json`;
 * 100 keeps a request small enough that one refused event costs little to isolate.
 */
export const OPENMETER_BATCH_SIZE = 100;

export interface OpenMeterUsageDeps {
  client: OpenMeterClient;
  /** Paces every request to OpenMeter; told about its 429 answers. */
  limiter: RequestLimiter;
  meters: OpenMeterMeters;
  /** The CloudEvent `source` of every event (OpenMeter dedupes on `id` + `source`). */
  source: string;
  now: () => Date;
}

interface Ready {
  index: number;
  event: ProviderUsageEvent;
  item: OpenMeterEvent;
}

/**
 * Sends usage to OpenMeter as CloudEvents in batches of up to 100. The hub's transactionId is the
 * CloudEvent `id` and the configured `source` is fixed: OpenMeter "deduplicates events based on
 * their ID and source properties" (openmeter.io/docs/collectors/buffer), so a resend is counted
 * once. Both are always set here: the SDK would otherwise default `id` to a random UUID
 * (`setDefaultsForEvent` in `dist/src/client/events.js`), which no resend could match. `subject`
 * is the customer's OpenMeter subject key (`provider_ids.openmeter`, else billhub's customer id);
 * `type` is the meter's event type; the quantity goes in `data` as an exact decimal string, as
 * OpenMeter's own examples send values ("duration_seconds": "12", openmeter.io/docs/concepts/usage-events).
 * OpenMeter answers an accepted request with 204 and deduplicates afterwards, so every event of
 * an accepted request is `delivered`. A request refused as a whole (400) is split and its events
 * sent one by one to find the one at fault; the others are not counted twice (same ids).
 */
export async function sendOpenMeterUsage(batch: readonly ProviderUsageEvent[], deps: OpenMeterUsageDeps): Promise<PushOutcome[]> {
  const outcomes: (PushOutcome | undefined)[] = Array.from({ length: batch.length });
  const ready: Ready[] = [];
  for (const [index, event] of batch.entries()) {
    const item = cloudEvent(event, deps);
    if (item instanceof BillingError) outcomes[index] = failedOutcome(event, item);
    else ready.push({ index, event, item });
  }

  const chunks: Ready[][] = [];
  for (let start = 0; start < ready.length; start += OPENMETER_BATCH_SIZE) chunks.push(ready.slice(start, start + OPENMETER_BATCH_SIZE));
  for (const [position, chunk] of chunks.entries()) {
    const failure = await ingestChunk(chunk, outcomes, deps);
    if (failure !== undefined && stopsBatch(failure)) {
      const skipped = notAttemptedError(failure);
      for (const rest of chunks.slice(position + 1).flat()) outcomes[rest.index] = failedOutcome(rest.event, skipped);
      break;
    }
  }

  return outcomes.map((outcome, index) => {
    if (outcome === undefined) throw new Error(`openmeter provider produced no outcome for event ${index}`);
    return outcome;
  });
}

/** The event as an OpenMeter CloudEvent, or why it cannot be sent. */
function cloudEvent(event: ProviderUsageEvent, deps: OpenMeterUsageDeps): OpenMeterEvent | BillingError {
  const mapping = deps.meters[event.meter];
  if (mapping === undefined) return unmappedMeterError("openmeter", event, Object.keys(deps.meters), `{ "eventType": "<OpenMeter meter eventType>" }`);
  const badTimestamp = invalidTimestampError("openmeter", event);
  if (badTimestamp) return badTimestamp;
  const value = quantityOf("openmeter", event);
  if (value instanceof BillingError) return value;
  if (value.coef < 0n) {
    // OpenMeter documents no meaning for a negative value in a meter; rather than guess how each
    // aggregation (SUM, MAX, LATEST, ...) would take it, the correction is left to OpenMeter (a grant or an invoice line).
    return new BillingError("PROVIDER_UNSUPPORTED", `OpenMeter usage events carry no documented negative values; ${event.quantity} (transaction ${event.transactionId}) is an adjustment to make in OpenMeter, then resolve the transaction`, {
      provider: "openmeter",
      field: "quantity",
      details: { transactionId: event.transactionId, quantity: event.quantity },
    });
  }
  const subject = event.providerCustomerId ?? event.customerId;
  return {
    specversion: "1.0",
    id: event.transactionId,
    source: deps.source,
    type: mapping.eventType,
    subject,
    time: event.timestamp,
    data: { ...event.properties, [mapping.valueProperty]: canonicalDecimal(event.quantity) },
  };
}

/** Sends one ingest request and records its outcomes; returns the failure when the whole request failed and was not resolved one by one. */
async function ingestChunk(chunk: readonly Ready[], outcomes: (PushOutcome | undefined)[], deps: OpenMeterUsageDeps): Promise<BillingError | undefined> {
  try {
    await deps.limiter.run(() => deps.client.ingest(chunk.map((ready) => ready.item)));
    for (const ready of chunk) outcomes[ready.index] = { transactionId: ready.event.transactionId, status: "delivered" };
    return undefined;
  } catch (error) {
    const failure = openmeterErrorToBillingError(error, deps.now());
    if (failure.code === "PROVIDER_RATE_LIMITED") deps.limiter.rateLimited(failure.retryAfterSeconds);
    if (failure.retryable || stopsBatch(failure) || chunk.length === 1) {
      for (const ready of chunk) outcomes[ready.index] = failedOutcome(ready.event, failure);
      return failure;
    }
    for (const [position, ready] of chunk.entries()) {
      const alone = await ingestChunk([ready], outcomes, deps);
      if (alone !== undefined && stopsBatch(alone)) {
        const skipped = notAttemptedError(alone);
        for (const rest of chunk.slice(position + 1)) outcomes[rest.index] = failedOutcome(rest.event, skipped);
        return alone;
      }
    }
    return undefined;
  }
}
