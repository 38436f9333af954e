import { parseDecimal, type Decimal } from "../core/decimal.ts";
import { BillingError } from "../core/errors.ts";
import type { ProviderUsageEvent, PushOutcome } from "./types.ts";

/**
 * Seconds to wait from a `Retry-After` header: delta-seconds ("3", "1.5" rounds up) or an
 * HTTP date (relative to `now`). Anything unreadable or in the past gives undefined.
 *
 * @example
 * retryAfterSeconds("3", new Date()) // 3
 * retryAfterSeconds("Wed, 21 Oct 2026 07:28:00 GMT", new Date("2026-10-21T07:27:30Z")) // 30
 */
export function retryAfterSeconds(header: string | null | undefined, now: Date): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const [whole = "0", fraction = ""] = text.split(".");
    const seconds = Number.parseInt(whole, 10) + (/[1-9]/.test(fraction) ? 1 : 0);
    return seconds > 0 ? seconds : undefined;
  }
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  const seconds = Math.ceil((at - now.getTime()) / 1000);
  return seconds > 0 ? seconds : undefined;
}

/**
 * Seconds to wait from an SDK error's response headers: `retry-after-ms` (sent by SDKs generated
 * the same way, such as Flowglad's and Metronome's) when present, else `Retry-After`.
 */
export function retryAfterFromHeaders(headers: Headers | undefined, now: Date): number | undefined {
  const millis = headers?.get("retry-after-ms");
  if (millis !== null && millis !== undefined && /^\d+$/.test(millis.trim())) {
    const seconds = Math.ceil(Number.parseInt(millis, 10) / 1000);
    if (seconds > 0) return seconds;
  }
  return retryAfterSeconds(headers?.get("retry-after"), now);
}

/** The outcome for an event that failed with `error`: retryable or permanent as the error says. */
export function failedOutcome(event: Pick<ProviderUsageEvent, "transactionId">, error: BillingError): PushOutcome {
  return { transactionId: event.transactionId, status: error.retryable ? "retryable" : "permanent", error };
}

/**
 * The permanent error for usage of a customer the provider cannot name yet. The row dead-letters;
 * once `provider_ids` has the id, replaying it delivers.
 */
export function missingCustomerError(provider: string, event: ProviderUsageEvent, example: string): BillingError {
  return new BillingError(
    "PROVIDER_CUSTOMER_MISSING",
    `Customer ${JSON.stringify(event.customerId)} has no ${provider} customer id; set provider_ids.${provider} (e.g. "${example}") on the customer, then replay transaction ${event.transactionId}`,
    { provider, field: `provider_ids.${provider}`, details: { customerId: event.customerId, transactionId: event.transactionId } },
  );
}

/** The error for usage on a meter the provider's config does not map. */
export function unmappedMeterError(provider: string, event: ProviderUsageEvent, configured: Iterable<string>, example: string): BillingError {
  const valid = [...configured].sort();
  return new BillingError(
    "UNKNOWN_METER",
    `Meter ${JSON.stringify(event.meter)} has no ${provider} mapping; add ${provider}.meters.${event.meter} = ${example} to the config (mapped: ${valid.length === 0 ? "(none)" : valid.join(", ")})`,
    { provider, field: `${provider}.meters.${event.meter}`, details: { mapped: valid } },
  );
}

/**
 * True when an error says the provider is unusable right now (rate limited, down, or refusing the
 * key): sending the rest of a batch would only fail the same way and spend rate limit.
 */
export function stopsBatch(error: BillingError): boolean {
  return error.code === "PROVIDER_RATE_LIMITED" || error.code === "PROVIDER_UNAVAILABLE" || error.code === "PROVIDER_AUTH_FAILED";
}

/** The error for an event left unsent because an earlier request in its batch hit `cause`. */
export function notAttemptedError(cause: BillingError): BillingError {
  return new BillingError(cause.code, `Not sent: an earlier request in this batch failed with ${cause.code}: ${cause.message}`, {
    retryable: cause.retryable,
    ...(cause.provider === undefined ? {} : { provider: cause.provider }),
    ...(cause.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: cause.retryAfterSeconds }),
    cause,
  });
}

/** The error for an event whose timestamp is not a valid date (a bug upstream, but never sent). */
export function invalidTimestampError(provider: string, event: ProviderUsageEvent): BillingError | undefined {
  if (event.timestamp instanceof Date && !Number.isNaN(event.timestamp.getTime())) return undefined;
  return new BillingError("INVALID_USAGE", `Usage ${event.transactionId} has no valid timestamp`, { provider, field: "timestamp", details: { transactionId: event.transactionId } });
}

/** The event's quantity as an exact decimal, or INVALID_USAGE (with the provider) when it is not one. */
export function quantityOf(provider: string, event: ProviderUsageEvent): Decimal | BillingError {
  try {
    return parseDecimal(event.quantity, { field: "quantity", code: "INVALID_USAGE" });
  } catch (error) {
    return new BillingError("INVALID_USAGE", (error as Error).message, { provider, field: "quantity", cause: error, details: { transactionId: event.transactionId } });
  }
}

/**
 * The error for a request not sent because the provider asked for a longer pause than a claim
 * waits (see request-limiter.ts): rate limited, retryable after the provider's Retry-After.
 */
export function pausedByProviderError(provider: string, retryAfterSeconds: number): BillingError {
  return new BillingError("PROVIDER_RATE_LIMITED", `Not sent: ${provider} asked to wait ${retryAfterSeconds} s before the next request`, { provider, retryable: true, retryAfterSeconds });
}

/**
 * Whether a lookup at the provider finds its object: false when it answers PROVIDER_NOT_FOUND
 * (mapped from its 404), any other refusal thrown as it came.
 *
 * @example
 * if (!(await foundAtProvider(() => call(() => client.getCustomer("org_42"))))) await createIt();
 */
export async function foundAtProvider(lookup: () => Promise<unknown>): Promise<boolean> {
  try {
    await lookup();
    return true;
  } catch (error) {
    if (error instanceof BillingError && error.code === "PROVIDER_NOT_FOUND") return false;
    throw error;
  }
}
