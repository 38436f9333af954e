import { canonicalDecimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { failedOutcome, invalidTimestampError, notAttemptedError, quantityOf, stopsBatch, unmappedMeterError } from "../errors.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import type { ProviderUsageEvent, PushOutcome } from "../types.ts";
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

interface Ready {
  index: number;
  event: ProviderUsageEvent;
  item: MetronomeUsageEvent;
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
  const outcomes: (PushOutcome | undefined)[] = Array.from({ length: batch.length });
  const ready: Ready[] = [];
  const now = deps.now();
  for (const [index, event] of batch.entries()) {
    const item = usageItem(event, deps.meters, now);
    if (item instanceof BillingError) outcomes[index] = failedOutcome(event, item);
    else ready.push({ index, event, item });
  }

  const chunks: Ready[][] = [];
  for (let start = 0; start < ready.length; start += METRONOME_BATCH_SIZE) chunks.push(ready.slice(start, start + METRONOME_BATCH_SIZE));
  for (const [position, chunk] of chunks.entries()) {
    const failure = await ingestChunk(chunk, outcomes, deps);
    if (failure !== undefined && stopsBatch(failure)) {
      const skipped = notAttemptedError(failure);
      for (const rest of chunks.slice(position + 1).flat()) outcomes[rest.index] = failedOutcome(rest.event, skipped);
      break;
    }
  }

  return outcomes.map((outcome, index) => {
    if (outcome === undefined) throw new Error(`metronome provider produced no outcome for event ${index}`);
    return outcome;
  });
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

/** Sends one ingest request and records its outcomes; returns the failure when the whole request failed and was not resolved one by one. */
async function ingestChunk(chunk: readonly Ready[], outcomes: (PushOutcome | undefined)[], deps: MetronomeUsageDeps): Promise<BillingError | undefined> {
  try {
    await deps.limiter.run(() => deps.client.ingest(chunk.map((ready) => ready.item)));
    for (const ready of chunk) outcomes[ready.index] = { transactionId: ready.event.transactionId, status: "delivered" };
    return undefined;
  } catch (error) {
    const failure = metronomeErrorToBillingError(error, deps.now());
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
