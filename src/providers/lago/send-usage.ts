import { canonicalDecimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { failedOutcome, invalidTimestampError, quantityOf, stopsBatch, unmappedMeterError } from "../errors.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import type { ProviderUsageEvent, PushOutcome } from "../types.ts";
import { allOutcomes, prepareEach, sendInChunks, skipRest, type OutcomeSlots, type ReadyEvent } from "../send-in-chunks.ts";
import type { LagoClient, LagoEventInput } from "./client.ts";
import type { LagoMeters } from "./config.ts";
import { isLagoErrorResponse, lagoErrorBody, lagoErrorToBillingError } from "./errors.ts";
import type { SubscriptionCache } from "./subscription-cache.ts";

/**
 * Events per batch request: Lago refuses more with `too_many_events`
 * (`MAX_LENGTH = ENV.fetch("LAGO_EVENTS_BATCH_MAX_LENGTH", 100)` in lago-api's
 * app/services/events/create_batch_service.rb; "≤100 per request" in the API reference).
 */
export const LAGO_BATCH_SIZE = 100;

/** Lago's answer for a transaction_id it already holds (lago-api app/services/events/create_service.rb and create_batch_service.rb). */
const ALREADY_EXISTS = "value_already_exist";

export interface LagoUsageDeps {
  client: LagoClient;
  /** Paces POST /events requests; told about their 429 answers. */
  limiter: RequestLimiter;
  meters: LagoMeters;
  /** The customers' current subscriptions, which events are attached to. */
  subscriptions: SubscriptionCache;
  now: () => Date;
}

type Ready = ReadyEvent<LagoEventInput>;

/**
 * Sends usage to Lago's batch endpoint (POST /api/v1/events/batch) in requests of up to 100. The
 * hub's transactionId is the event's `transaction_id`; the event goes to the customer's current
 * subscription (`external_subscription_id`), looked up by external customer id
 * (`provider_ids.lago`, else billhub's customer id) and cached; the quantity goes as an exact
 * decimal string in the billable metric's property, the timestamp as Unix seconds with
 * milliseconds ("decimals = ms").
 *
 * Lago validates a batch as a whole: one bad event, or one transaction_id it already holds, and
 * it answers 422 `validation_errors` with `error_details` keyed by the event's position, having
 * stored none of the batch (lago-api create_batch_service.rb: validation first, then the saves in
 * one transaction rolled back on `RecordNotUnique`). So an event whose only error is
 * `transaction_id: ["value_already_exist"]` is `already_delivered`, an event with other errors is
 * refused for good, and the rest are sent again. A 422 that names no positions is resolved by
 * sending each event alone (POST /api/v1/events), where the same duplicate answer is read the same
 * way. On Lago's ClickHouse pipeline a repeat is not refused but replaces the event with the same
 * transaction_id and timestamp, which billhub's resend always carries: nothing counts twice.
 */
export async function sendLagoUsage(batch: readonly ProviderUsageEvent[], deps: LagoUsageDeps): Promise<PushOutcome[]> {
  const { outcomes, ready: prepared } = prepareEach(batch, (event) => eventInput(event, deps.meters));

  const customers = [...new Set(prepared.map(({ event }) => externalCustomerId(event)))];
  const targets = new Map(await Promise.all(customers.map(async (customer) => [customer, await subscriptionFor(customer, deps)] as const)));
  const ready: Ready[] = [];
  for (const { index, event, item } of prepared) {
    const target = targets.get(externalCustomerId(event))!;
    if (target instanceof BillingError) outcomes[index] = failedOutcome(event, target);
    else ready.push({ index, event, item: { ...item, external_subscription_id: target } });
  }

  await sendInChunks(ready, outcomes, LAGO_BATCH_SIZE, (chunk) => sendBatch(chunk, outcomes, deps));
  return allOutcomes(outcomes, "lago");
}

function externalCustomerId(event: ProviderUsageEvent): string {
  return event.providerCustomerId ?? event.customerId;
}

/** Unix seconds with milliseconds, as a string built from integers (no float on the way). */
function unixSeconds(at: Date): string {
  const ms = at.getTime();
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, "0")}`;
}

/** The event as Lago takes it (but for its subscription), or why it cannot be sent. */
function eventInput(event: ProviderUsageEvent, meters: LagoMeters): Omit<LagoEventInput, "external_subscription_id"> | BillingError {
  const mapping = meters[event.meter];
  if (mapping === undefined) return unmappedMeterError("lago", event, Object.keys(meters), `{ "code": "<Lago billable metric code>" }`);
  const badTimestamp = invalidTimestampError("lago", event);
  if (badTimestamp) return badTimestamp;
  const value = quantityOf("lago", event);
  if (value instanceof BillingError) return value;
  if (value.coef < 0n) {
    // Lago documents no meaning for a negative property value; the correction is left to be made in Lago (a credit note).
    return new BillingError("PROVIDER_UNSUPPORTED", `Lago usage events carry no documented negative quantities; ${event.quantity} (transaction ${event.transactionId}) is an adjustment to make in Lago (a credit note), then resolve the transaction`, {
      provider: "lago",
      field: "quantity",
      details: { transactionId: event.transactionId, quantity: event.quantity },
    });
  }
  return {
    transaction_id: event.transactionId,
    code: mapping.code,
    timestamp: unixSeconds(event.timestamp),
    properties: { ...event.properties, [mapping.quantityProperty]: canonicalDecimal(event.quantity) },
  };
}

/** The external id of the customer's one active subscription, or why usage cannot be attached to one. */
async function subscriptionFor(customer: string, deps: LagoUsageDeps): Promise<string | BillingError> {
  let subscriptions;
  try {
    subscriptions = await deps.subscriptions.get(customer);
  } catch (error) {
    return lagoErrorToBillingError(error, deps.now());
  }
  // One subscription keeps its external_id across plan changes (Lago stores the new plan's
  // subscription under the same external_id), so the active one takes all of the customer's usage.
  const active = [...new Set(subscriptions.filter((subscription) => subscription.status === "active").map((subscription) => subscription.external_id))];
  if (active.length === 1) return active[0]!;
  if (active.length === 0) {
    // Often a race with the subscription's creation: retried, and dead with this message if it lasts.
    return new BillingError("PROVIDER_NOT_FOUND", `Lago customer ${JSON.stringify(customer)} has no active subscription, and Lago attaches usage to one (external_subscription_id); subscribe the customer in Lago (or set provider_ids.lago to their Lago external customer id)`, {
      provider: "lago",
      retryable: true,
      retryAfterSeconds: 60,
      details: { externalCustomerId: customer },
    });
  }
  return new BillingError("PROVIDER_CONFLICT", `Lago customer ${JSON.stringify(customer)} has ${active.length} active subscriptions (${active.join(", ")}) and billhub cannot tell which one this usage belongs to`, {
    provider: "lago",
    details: { externalCustomerId: customer, subscriptions: active },
  });
}

/** True when Lago's error details for one event say only that its transaction_id is already held. */
function onlyAlreadyHeld(details: unknown): boolean {
  if (typeof details !== "object" || details === null || Array.isArray(details)) return false;
  const entries = Object.entries(details);
  return entries.length === 1 && entries[0]![0] === "transaction_id" && Array.isArray(entries[0]![1]) && entries[0]![1].length > 0 && entries[0]![1].every((code) => code === ALREADY_EXISTS);
}

/** Lago's `error_details` of a 422 by event position (`{ "0": {...}, "3": {...} }`), when it names positions. */
function detailsByPosition(error: unknown, size: number): Map<number, unknown> | undefined {
  if (!isLagoErrorResponse(error) || error.status !== 422) return undefined;
  const details = lagoErrorBody(error).error_details;
  if (typeof details !== "object" || details === null || Array.isArray(details)) return undefined;
  const byPosition = new Map<number, unknown>();
  for (const [key, value] of Object.entries(details)) {
    if (!/^\d+$/.test(key) || Number(key) >= size) return undefined;
    byPosition.set(Number(key), value);
  }
  return byPosition.size > 0 ? byPosition : undefined;
}

function rejected(ready: Ready, details: unknown, cause: BillingError): BillingError {
  return new BillingError("PROVIDER_REJECTED", `Lago refused usage ${ready.event.transactionId}: ${JSON.stringify(details)}`, {
    provider: "lago",
    retryable: false,
    cause,
    details: { transactionId: ready.event.transactionId, errorDetails: details },
  });
}

/** Sends one batch and records its outcomes; returns the failure that should stop the rest, if any. */
async function sendBatch(chunk: readonly Ready[], outcomes: OutcomeSlots, deps: LagoUsageDeps): Promise<BillingError | undefined> {
  if (chunk.length === 0) return undefined;
  try {
    await deps.limiter.run(() => deps.client.createBatch(chunk.map((ready) => ready.item)));
    for (const ready of chunk) outcomes[ready.index] = { transactionId: ready.event.transactionId, status: "delivered" };
    return undefined;
  } catch (error) {
    const failure = lagoErrorToBillingError(error, deps.now());
    if (failure.code === "PROVIDER_RATE_LIMITED") deps.limiter.rateLimited(failure.retryAfterSeconds);
    if (failure.retryable || stopsBatch(failure)) {
      for (const ready of chunk) outcomes[ready.index] = failedOutcome(ready.event, failure);
      return failure;
    }
    const byPosition = detailsByPosition(error, chunk.length);
    if (byPosition === undefined) return sendOneByOne(chunk, outcomes, deps);
    const rest: Ready[] = [];
    for (const [position, ready] of chunk.entries()) {
      if (!byPosition.has(position)) rest.push(ready);
      else if (onlyAlreadyHeld(byPosition.get(position))) outcomes[ready.index] = { transactionId: ready.event.transactionId, status: "already_delivered" };
      else outcomes[ready.index] = failedOutcome(ready.event, rejected(ready, byPosition.get(position), failure));
    }
    // Lago stored nothing of the refused batch: the events it did not name go again.
    return sendBatch(rest, outcomes, deps);
  }
}

/** Sends each event alone (POST /api/v1/events), to find the one a batch refusal was about. */
async function sendOneByOne(chunk: readonly Ready[], outcomes: OutcomeSlots, deps: LagoUsageDeps): Promise<BillingError | undefined> {
  for (const [position, ready] of chunk.entries()) {
    try {
      await deps.limiter.run(() => deps.client.createOne(ready.item));
      outcomes[ready.index] = { transactionId: ready.event.transactionId, status: "delivered" };
    } catch (error) {
      const failure = lagoErrorToBillingError(error, deps.now());
      if (failure.code === "PROVIDER_RATE_LIMITED") deps.limiter.rateLimited(failure.retryAfterSeconds);
      const details = isLagoErrorResponse(error) && error.status === 422 ? lagoErrorBody(error).error_details : undefined;
      if (onlyAlreadyHeld(details)) {
        outcomes[ready.index] = { transactionId: ready.event.transactionId, status: "already_delivered" };
        continue;
      }
      outcomes[ready.index] = failedOutcome(ready.event, details === undefined ? failure : rejected(ready, details, failure));
      if (stopsBatch(failure)) {
        skipRest(chunk.slice(position + 1), outcomes, failure);
        return failure;
      }
    }
  }
  return undefined;
}
