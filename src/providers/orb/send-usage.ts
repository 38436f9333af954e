import { canonicalDecimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { failedOutcome, invalidTimestampError, quantityOf, unmappedMeterError } from "../errors.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import type { ProviderUsageEvent, PushOutcome } from "../types.ts";
import { allOutcomes, prepareEach, sendInChunks, sendOrSplit } from "../send-in-chunks.ts";
import type { OrbClient, OrbIngestEvent } from "./client.ts";
import type { OrbMeters } from "./config.ts";
import { orbErrorToBillingError } from "./errors.ts";

/**
 * Events per ingest request. Orb states no cap ("Orb does not currently enforce ... a maximum
 * request payload size", `events.ingest` docblock of orb-billing 6.11); 500 keeps one request
 * well under a megabyte for typical events.
 */
export const ORB_BATCH_SIZE = 500;

/** "In cases where the timestamp is 5 minutes ahead of the current time, the event will not be accepted" (`events.ingest` docblock). */
const MAX_AHEAD_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;
/** Orb's refusal of an event older than the account's grace period, as its validation error words it. */
const GRACE_PERIOD_REFUSAL = /grace period/i;

export interface OrbUsageDeps {
  client: OrbClient;
  /** Paces every request to Orb; told about its 429 answers. */
  limiter: RequestLimiter;
  meters: OrbMeters;
  /** The account's grace period, when configured (orb.gracePeriodHours). */
  gracePeriodHours: number | undefined;
  now: () => Date;
}

/**
 * Sends usage to Orb's ingest endpoint in requests of up to 500 events. The hub's transactionId
 * is the event's `idempotency_key`: "a single idempotency key will be successfully ingested at
 * most once", so a resend (after a lost reply, or of a whole batch after a crash) counts nothing
 * twice. Customers are named by `external_customer_id` (`provider_ids.orb`, else billhub's
 * customer id), which Orb accepts even before the customer exists ("Events will be attributed to
 * any future customers with the `external_customer_id`"). The quantity goes as a JSON number in
 * the meter's quantity property ("Values that you wish to numerically aggregate should be of
 * numeric type"), only when the number is exactly the recorded decimal.
 *
 * Orb answers an accepted request 200 `{ validation_failed: [] }` ("In the case of a 200, this
 * array will always be empty") and a repeat the same way, so every event of an accepted request
 * is `delivered`. A 4xx means "at least one event with a validation failure", and the failed keys
 * "can be re-sent ... with the original idempotency key": the events are then sent one by one to
 * find the one at fault (the others cannot count twice, their keys dedupe). A refusal naming the
 * grace period is USAGE_TOO_OLD, as usage older than `orb.gracePeriodHours` is before sending:
 * permanent, kept in the outbox as dead with how to bring it in (an Orb backfill), never dropped.
 */
export async function sendOrbUsage(batch: readonly ProviderUsageEvent[], deps: OrbUsageDeps): Promise<PushOutcome[]> {
  const now = deps.now();
  const { outcomes, ready } = prepareEach(batch, (event) => ingestEvent(event, deps, now));
  await sendInChunks(ready, outcomes, ORB_BATCH_SIZE, (chunk) =>
    sendOrSplit(chunk, outcomes, {
      limiter: deps.limiter,
      send: (items) => deps.client.ingest(items),
      // A 200 lists no failures, but should one ever be listed, that event was not ingested.
      accepted: (answer, sent) => {
        const failed = new Map((answer.validation_failed ?? []).map((entry) => [entry.idempotency_key, entry.validation_errors]));
        return sent.map((ready) => {
          const errors = failed.get(ready.event.transactionId);
          return errors === undefined ? { transactionId: ready.event.transactionId, status: "delivered" } : failedOutcome(ready.event, refusal(ready.event, errors.join("; ")));
        });
      },
      toError: (error) => orbErrorToBillingError(error, deps.now()),
      refusedAlone: (ready, failure) => (GRACE_PERIOD_REFUSAL.test(failure.message) ? tooOld(ready.event, `refused by Orb as outside the account's grace period (${failure.message})`) : failure),
    }),
  );
  return allOutcomes(outcomes, "orb");
}

function tooOld(event: ProviderUsageEvent, reason: string): BillingError {
  return new BillingError(
    "USAGE_TOO_OLD",
    `Usage ${event.transactionId} at ${event.timestamp.toISOString()} is ${reason}; Orb takes such usage only through a backfill (events.backfills.create, then ingest with its backfill_id): create one for the period in Orb, send the usage there, then resolve transaction ${event.transactionId}`,
    { provider: "orb", field: "timestamp", details: { transactionId: event.transactionId, timestamp: event.timestamp.toISOString() } },
  );
}

/** The event as Orb ingests it, or why it cannot be sent. */
function ingestEvent(event: ProviderUsageEvent, deps: OrbUsageDeps, now: Date): OrbIngestEvent | BillingError {
  const mapping = deps.meters[event.meter];
  if (mapping === undefined) return unmappedMeterError("orb", event, Object.keys(deps.meters), `{ "eventName": "<Orb event_name>" }`);
  const badTimestamp = invalidTimestampError("orb", event);
  if (badTimestamp) return badTimestamp;
  const age = now.getTime() - event.timestamp.getTime();
  if (deps.gracePeriodHours !== undefined && age > deps.gracePeriodHours * HOUR_MS) {
    return tooOld(event, `older than Orb's ${deps.gracePeriodHours}-hour grace period (orb.gracePeriodHours)`);
  }
  if (-age > MAX_AHEAD_MS) {
    // Early, not wrong: once the clock catches up Orb accepts the same event, so retry then.
    const wait = Math.ceil((-age - MAX_AHEAD_MS) / 1000);
    return new BillingError("USAGE_IN_FUTURE", `Usage ${event.transactionId} at ${event.timestamp.toISOString()} is more than 5 minutes ahead of now (${now.toISOString()}); Orb refuses it until ${wait}s from now. Check the recording clock`, {
      provider: "orb",
      field: "timestamp",
      retryAfterSeconds: wait,
      details: { transactionId: event.transactionId, timestamp: event.timestamp.toISOString() },
    });
  }
  const value = quantityOf("orb", event);
  if (value instanceof BillingError) return value;
  const unsupported = (message: string) => new BillingError("PROVIDER_UNSUPPORTED", message, { provider: "orb", field: "quantity", details: { transactionId: event.transactionId, quantity: event.quantity } });
  if (value.coef < 0n) {
    // Orb corrects ingested usage by amending or deprecating the event (events.update /
    // events.deprecate), not by a negative event: the adjustment is left to be made there.
    return unsupported(`Orb usage events carry no negative quantities; ${event.quantity} (transaction ${event.transactionId}) is an adjustment to make in Orb (amend or deprecate the event it corrects), then resolve the transaction`);
  }
  const quantity = exactNumber(canonicalDecimal(event.quantity));
  // Orb sums numeric properties; a quantity a JSON number cannot carry exactly is refused rather than rounded.
  if (quantity === undefined) {
    return unsupported(`Orb aggregates quantities as JSON numbers; ${event.quantity} (transaction ${event.transactionId}) has more digits than a number carries exactly. Record usage in a coarser unit`);
  }
  return {
    event_name: mapping.eventName,
    idempotency_key: event.transactionId,
    external_customer_id: event.providerCustomerId ?? event.customerId,
    timestamp: event.timestamp.toISOString(),
    properties: { ...event.properties, [mapping.quantityProperty]: quantity },
  };
}

/** An event Orb listed as failing validation. */
function refusal(event: ProviderUsageEvent, errors: string): BillingError {
  if (GRACE_PERIOD_REFUSAL.test(errors)) return tooOld(event, `refused by Orb as outside the account's grace period (${errors})`);
  return new BillingError("PROVIDER_REJECTED", `Orb refused usage ${event.transactionId}: ${errors}`, { provider: "orb", retryable: false, details: { transactionId: event.transactionId } });
}

/** The number that is exactly this decimal, if a double holds it (printed back, it is the same decimal). */
function exactNumber(canonical: string): number | undefined {
  const value = Number(canonical);
  if (!Number.isFinite(value)) return undefined;
  try {
    return canonicalDecimal(String(value)) === canonical ? value : undefined;
  } catch {
    return undefined;
  }
}
