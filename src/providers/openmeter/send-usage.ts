import { canonicalDecimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { invalidTimestampError, quantityOf, unmappedMeterError } from "../errors.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import type { ProviderUsageEvent, PushOutcome } from "../types.ts";
import { allOutcomes, prepareEach, sendInChunks, sendOrSplit } from "../send-in-chunks.ts";
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
  const { outcomes, ready } = prepareEach(batch, (event) => cloudEvent(event, deps));
  await sendInChunks(ready, outcomes, OPENMETER_BATCH_SIZE, (chunk) =>
    sendOrSplit(chunk, outcomes, {
      limiter: deps.limiter,
      send: (items) => deps.client.ingest(items),
      accepted: (_, sent) => sent.map((ready) => ({ transactionId: ready.event.transactionId, status: "delivered" })),
      toError: (error) => openmeterErrorToBillingError(error, deps.now()),
    }),
  );
  return allOutcomes(outcomes, "openmeter");
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
