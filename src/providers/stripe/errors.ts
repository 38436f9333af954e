import Stripe from "stripe";
import { BillingError, type BillingErrorCode } from "../../core/errors.ts";
import { retryAfterSeconds } from "../errors.ts";

const { StripeError, StripeConnectionError, StripeRateLimitError, StripeIdempotencyError, TemporarySessionExpiredError, RateLimitError } = Stripe.errors;

/** True for any error the Stripe SDK raises about a request (as opposed to a bug of ours). */
export function isStripeError(error: unknown): error is InstanceType<typeof Stripe.errors.StripeError> {
  return error instanceof StripeError;
}

/** Stripe's v2 "the meter event session expired" error: refresh the session and resend. */
export function isSessionExpired(error: unknown): boolean {
  return error instanceof TemporarySessionExpiredError;
}

/**
 * Stripe's answer to a meter event whose `identifier` it already holds: HTTP 400,
 * invalid_request_error, "An event already exists with identifier <id>." and no error code.
 * The event is at Stripe, so the resend counts as delivered.
 */
export function isDuplicateIdentifier(error: unknown, identifier: string): boolean {
  if (!isStripeError(error) || error.statusCode !== 400 || error.rawType !== "invalid_request_error") return false;
  const match = /^An event already exists with identifier (.+?)\.?$/.exec(error.message.trim());
  return match !== null && match[1] === identifier;
}

/**
 * Maps one Stripe SDK error to a BillingError whose code and `retryable` drive the forwarder:
 * rate limits and outages retry (with Stripe's Retry-After when sent), everything Stripe refused
 * on its merits does not. Non-Stripe errors are bugs and are rethrown.
 *
 * @example
 * stripeErrorToBillingError(new Stripe.errors.StripeRateLimitError({ message: "slow", statusCode: 429 }), new Date()).code
 * // "PROVIDER_RATE_LIMITED"
 */
export function stripeErrorToBillingError(error: unknown, now: Date): BillingError {
  if (!isStripeError(error)) throw error;
  const status = error.statusCode;
  const headers = error.headers ?? {};
  const requestId = error.requestId ?? headers["request-id"];
  const shouldRetry = headers["stripe-should-retry"];
  const reason = `${error.message || "no message"}${requestId ? ` (request ${requestId})` : ""}`;
  const make = (code: BillingErrorCode, message: string, retryable?: boolean) =>
    new BillingError(code, message, {
      provider: "stripe",
      cause: error,
      ...(retryable === undefined ? {} : { retryable }),
      ...retryAfterOption(headers["retry-after"], now),
      details: { status: status ?? null, type: error.type, ...(error.code ? { stripeCode: error.code } : {}), ...(requestId ? { requestId } : {}) },
    });

  if (error instanceof StripeRateLimitError || error instanceof RateLimitError || status === 429) {
    return make("PROVIDER_RATE_LIMITED", `Stripe rate limit reached: ${reason}`);
  }
  if (error instanceof StripeConnectionError || status === undefined) {
    return make("PROVIDER_UNAVAILABLE", `Could not reach Stripe: ${reason}`);
  }
  if (error instanceof StripeIdempotencyError) {
    return make("PROVIDER_CONFLICT", `Stripe refused a reused idempotency key: ${reason}`);
  }
  if (error instanceof TemporarySessionExpiredError) {
    return make("PROVIDER_UNAVAILABLE", `Stripe meter event session expired and could not be renewed in time: ${reason}`);
  }
  if (status === 401 || status === 403) {
    return make("PROVIDER_AUTH_FAILED", `Stripe refused the API key (HTTP ${status}): ${reason}; check stripe.secretKey (STRIPE_SECRET_KEY)`);
  }
  if (status === 404) return make("PROVIDER_NOT_FOUND", `Stripe could not find it: ${reason}`);
  // Stripe-Should-Retry: false says a retry cannot succeed; the row then dead-letters (replayable) instead of retrying for days.
  const refusesRetry = shouldRetry === "false" ? false : undefined;
  // 409 is Stripe's lock timeout between concurrent requests on one object: worth another try.
  if (status === 409) return make("PROVIDER_CONFLICT", `Stripe reported a concurrent change: ${reason}`, refusesRetry ?? true);
  if (status >= 500) return make("PROVIDER_UNAVAILABLE", `Stripe failed (HTTP ${status}): ${reason}`, refusesRetry);
  return make("PROVIDER_REJECTED", `Stripe rejected the request (HTTP ${status}): ${reason}`, shouldRetry === "true" ? true : undefined);
}

function retryAfterOption(header: string | undefined, now: Date): { retryAfterSeconds?: number } {
  const seconds = retryAfterSeconds(header, now);
  return seconds === undefined ? {} : { retryAfterSeconds: seconds };
}
