import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import { failedOutcome, invalidTimestampError, notAttemptedError, quantityOf, stopsBatch, unmappedMeterError } from "../errors.ts";
import type { ProviderUsageEvent, PushOutcome } from "../types.ts";
import type { BillingCache } from "./billing-cache.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import type { FlowgladAdminClient } from "./client.ts";
import { flowgladCode, flowgladErrorToBillingError } from "./errors.ts";
import { resolveUsageTarget, type FlowgladMeters } from "./usage-target.ts";

type BulkItem = Parameters<FlowgladAdminClient["bulkCreateUsageEvents"]>[0]["usageEvents"][number];

/** Events per bulk request. */
export const FLOWGLAD_BATCH_SIZE = 100;

export interface FlowgladUsageDeps {
  client: FlowgladAdminClient;
  /** Paces every request to Flowglad; told about its 429 answers. */
  limiter: RequestLimiter;
  meters: FlowgladMeters;
  cache: BillingCache;
  now: () => Date;
}

interface Ready {
  index: number;
  event: ProviderUsageEvent;
  externalId: string;
  item: BulkItem;
}

const createdSchema = z.object({ usageEvent: z.object({ transactionId: z.string(), amount: z.number() }) });
const bulkSchema = z.object({ usageEvents: z.array(z.object({ transactionId: z.string() })) });

/**
 * Sends usage to Flowglad: resolves each customer's subscription and meter from their (cached)
 * billing, then posts bulk requests. Flowglad dedupes on (transactionId, meter) and leaves
 * duplicates out of the bulk response, so an event missing from it was already there. When
 * Flowglad refuses a bulk request as a whole, each event is sent alone to find the one at fault.
 */
export async function sendFlowgladUsage(batch: readonly ProviderUsageEvent[], deps: FlowgladUsageDeps): Promise<PushOutcome[]> {
  const outcomes: (PushOutcome | undefined)[] = Array.from({ length: batch.length });
  const byCustomer = new Map<string, { index: number; event: ProviderUsageEvent; amount: number }[]>();
  for (const [index, event] of batch.entries()) {
    const checked = checkEvent(event, deps.meters);
    if (checked instanceof BillingError) {
      outcomes[index] = failedOutcome(event, checked);
      continue;
    }
    const externalId = event.providerCustomerId ?? event.customerId;
    byCustomer.set(externalId, [...(byCustomer.get(externalId) ?? []), { index, event, amount: checked }]);
  }

  const ready: Ready[] = [];
  const customers = [...byCustomer.entries()];
  for (const [position, [externalId, events]] of customers.entries()) {
    let billing;
    try {
      billing = await deps.cache.get(externalId);
    } catch (error) {
      const failure = customerFailure(error, externalId, deps.now());
      if (failure.code === "PROVIDER_RATE_LIMITED") deps.limiter.rateLimited(failure.retryAfterSeconds);
      for (const { index, event } of events) outcomes[index] = failedOutcome(event, failure);
      if (stopsBatch(failure)) {
        const skipped = notAttemptedError(failure);
        for (const { index, event } of customers.slice(position + 1).flatMap(([, rest]) => rest)) outcomes[index] = failedOutcome(event, skipped);
        break;
      }
      continue;
    }
    for (const { index, event, amount } of events) {
      const target = resolveUsageTarget(billing, deps.meters[event.meter]!, event.meter);
      if (target instanceof BillingError) {
        outcomes[index] = failedOutcome(event, target);
        continue;
      }
      const item: BulkItem = {
        amount,
        subscriptionId: target.subscriptionId,
        transactionId: event.transactionId,
        usageDate: event.timestamp.getTime(),
        ...(Object.keys(event.properties).length > 0 ? { properties: event.properties } : {}),
        ...target.identifier,
      };
      ready.push({ index, event, externalId, item });
    }
  }

  for (const [position, chunk] of chunksOf(ready).entries()) {
    const failure = await postBulk(chunk, outcomes, deps);
    if (failure !== undefined && stopsBatch(failure)) {
      const skipped = notAttemptedError(failure);
      for (const rest of chunksOf(ready).slice(position + 1).flat()) outcomes[rest.index] = failedOutcome(rest.event, skipped);
      break;
    }
  }

  return outcomes.map((outcome, index) => {
    if (outcome === undefined) throw new Error(`flowglad provider produced no outcome for event ${index}`);
    return outcome;
  });
}

/** Flowglad takes positive whole amounts only; anything else is refused here, before sending. */
function checkEvent(event: ProviderUsageEvent, meters: FlowgladMeters): number | BillingError {
  if (meters[event.meter] === undefined) return unmappedMeterError("flowglad", event, Object.keys(meters), `{ "usageMeterSlug": "<slug>" } or { "priceSlug": "<slug>" }`);
  const badTimestamp = invalidTimestampError("flowglad", event);
  if (badTimestamp) return badTimestamp;
  const value = quantityOf("flowglad", event);
  if (value instanceof BillingError) return value;
  const refuse = (why: string) =>
    new BillingError("PROVIDER_UNSUPPORTED", `Flowglad usage amounts are positive whole numbers; ${why}`, {
      provider: "flowglad",
      field: "quantity",
      details: { transactionId: event.transactionId, quantity: event.quantity },
    });
  if (value.coef < 0n) {
    return refuse(`${event.quantity} is a negative adjustment, which a Flowglad usage event cannot carry. Correct it in Flowglad (e.g. a usage credit grant) and resolve transaction ${event.transactionId} there`);
  }
  if (value.coef === 0n) return refuse(`transaction ${event.transactionId} has quantity 0`);
  if (value.scale > 0) return refuse(`${event.quantity} is fractional; record whole units (e.g. milli-units) for meters billed through Flowglad`);
  if (value.coef > BigInt(Number.MAX_SAFE_INTEGER)) return refuse(`${event.quantity} is larger than Flowglad's JSON number can carry exactly`);
  return Number(value.coef);
}

function customerFailure(error: unknown, externalId: string, now: Date): BillingError {
  const failure = error instanceof BillingError ? error : flowgladErrorToBillingError(error, now);
  if (failure.code !== "PROVIDER_NOT_FOUND") return failure;
  return new BillingError("PROVIDER_NOT_FOUND", `Flowglad has no customer with external id ${JSON.stringify(externalId)}; create it in Flowglad or set provider_ids.flowglad on the customer, then replay`, {
    provider: "flowglad",
    field: "provider_ids.flowglad",
    cause: failure,
    ...(failure.details ? { details: failure.details } : {}),
  });
}

function chunksOf(ready: readonly Ready[]): Ready[][] {
  const chunks: Ready[][] = [];
  for (let start = 0; start < ready.length; start += FLOWGLAD_BATCH_SIZE) chunks.push(ready.slice(start, start + FLOWGLAD_BATCH_SIZE));
  return chunks;
}

/** Posts one bulk request and records its outcomes; returns the failure when the whole request failed and was not resolved one by one. */
async function postBulk(chunk: readonly Ready[], outcomes: (PushOutcome | undefined)[], deps: FlowgladUsageDeps): Promise<BillingError | undefined> {
  try {
    const response = bulkSchema.parse(await deps.limiter.run(() => deps.client.bulkCreateUsageEvents({ usageEvents: chunk.map((ready) => ready.item) })));
    const created = new Set(response.usageEvents.map((event) => event.transactionId));
    for (const ready of chunk) outcomes[ready.index] = { transactionId: ready.event.transactionId, status: created.has(ready.event.transactionId) ? "delivered" : "already_delivered" };
    return undefined;
  } catch (error) {
    const failure = error instanceof z.ZodError ? unreadable(error) : flowgladErrorToBillingError(error, deps.now());
    if (failure.code === "PROVIDER_RATE_LIMITED") deps.limiter.rateLimited(failure.retryAfterSeconds);
    if (failure.retryable || stopsBatch(failure)) {
      for (const ready of chunk) outcomes[ready.index] = failedOutcome(ready.event, failure);
      return failure;
    }
    for (const ready of chunk) outcomes[ready.index] = await postOne(ready, deps);
    return undefined;
  }
}

async function postOne(ready: Ready, deps: FlowgladUsageDeps): Promise<PushOutcome> {
  const { event, item } = ready;
  try {
    const { usageEvent } = createdSchema.parse(await deps.limiter.run(() => deps.client.createUsageEvent({ usageEvent: item })));
    // Flowglad answers a repeat with the event it already holds, without updating it.
    if (usageEvent.amount !== item.amount) {
      return failedOutcome(
        event,
        new BillingError("PROVIDER_CONFLICT", `Flowglad already holds transaction ${event.transactionId} with amount ${usageEvent.amount}, not ${item.amount}; resolve it in Flowglad`, {
          provider: "flowglad",
          details: { transactionId: event.transactionId, held: usageEvent.amount, sent: item.amount },
        }),
      );
    }
    return { transactionId: event.transactionId, status: "delivered" };
  } catch (error) {
    if (error instanceof z.ZodError) return failedOutcome(event, unreadable(error));
    const code = flowgladCode(error);
    const failure = flowgladErrorToBillingError(error, deps.now());
    if (failure.code === "PROVIDER_RATE_LIMITED") deps.limiter.rateLimited(failure.retryAfterSeconds);
    // The subscription may have changed since billing was cached: look again next time.
    if (code === "CONFLICT" || code === "NOT_FOUND") deps.cache.invalidate(ready.externalId);
    return failedOutcome(event, failure);
  }
}

function unreadable(error: z.ZodError): BillingError {
  return new BillingError("PROVIDER_UNAVAILABLE", `Flowglad answered usage with a body billhub cannot read: ${error.issues[0]?.message ?? "invalid"}`, { provider: "flowglad", cause: error });
}
