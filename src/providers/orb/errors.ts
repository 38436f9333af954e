import { BillingError, type BillingErrorCode } from "../../core/errors.ts";
import { pausedByProviderError, retryAfterFromHeaders } from "../errors.ts";
import { PausedByProvider } from "../request-limiter.ts";

/**
 * The shape of the Orb SDK's errors (its `APIError` family: `status`, `headers`, `error` = the
 * parsed body). Recognized by shape, so the SDK need not be loaded to map them.
 */
interface OrbApiError extends Error {
  status: number | undefined;
  headers: Headers | undefined;
  error: unknown;
}

/** True for an error the Orb SDK raised about a request (HTTP status or connection). */
export function isOrbError(error: unknown): error is OrbApiError {
  return error instanceof Error && "status" in error && "headers" in error && "error" in error;
}

/** The RFC 7807 body Orb answers errors with: `{ type, status, title, detail, validation_errors? }`. */
export function orbProblem(error: OrbApiError): { title: string | undefined; detail: string | undefined; validationErrors: unknown[] } {
  const body = typeof error.error === "object" && error.error !== null ? (error.error as Record<string, unknown>) : {};
  return {
    title: typeof body.title === "string" ? body.title : undefined,
    detail: typeof body.detail === "string" ? body.detail : undefined,
    validationErrors: Array.isArray(body.validation_errors) ? body.validation_errors : [],
  };
}

/**
 * Maps one Orb SDK error to a BillingError, after Orb's error responses
 * (docs.withorb.com/api-reference/error-responses, mirrored by the `type` switch in the SDK's
 * `core/error.js`): 429 `too-many-requests` and 5xx are retryable (429 with its Retry-After /
 * retry-after-ms when sent), as are connection failures and timeouts; 401 means the key; 404 and
 * 409 (an Idempotency-Key still in flight) is retried; 400 (`request-validation-errors`, `constraint-violation`, ...), 413 and
 * any other 4xx are refusals, which Orb leaves unprocessed ("the failed keys stay reusable").
 * `x-should-retry`, which the SDK honours, overrides. Non-SDK errors are bugs and are rethrown.
 *
 * @example
 * orbErrorToBillingError(validationErrorFromSdk, new Date()).code // "PROVIDER_REJECTED"
 */
export function orbErrorToBillingError(error: unknown, now: Date): BillingError {
  if (error instanceof PausedByProvider) return pausedByProviderError("orb", error.retryAfterSeconds);
  if (!isOrbError(error)) throw error;
  const { status, headers } = error;
  const problem = orbProblem(error);
  const parts = [problem.title, problem.detail, ...problem.validationErrors.map((item) => (typeof item === "string" ? item : JSON.stringify(item)))].filter((part) => part !== undefined && part !== "");
  const reason = parts.length > 0 ? parts.join(": ") : error.message;
  const shouldRetry = headers?.get("x-should-retry");
  const make = (code: BillingErrorCode, message: string, retryable?: boolean) => {
    const wait = retryAfterFromHeaders(headers, now);
    const decided = shouldRetry === "true" ? true : shouldRetry === "false" ? false : retryable;
    return new BillingError(code, message, {
      provider: "orb",
      cause: error,
      ...(decided === undefined ? {} : { retryable: decided }),
      ...(wait === undefined ? {} : { retryAfterSeconds: wait }),
      details: { status: status ?? null },
    });
  };

  if (status === undefined) return make("PROVIDER_UNAVAILABLE", `Could not reach Orb: ${reason}`);
  if (status === 429) return make("PROVIDER_RATE_LIMITED", `Orb rate limit reached: ${reason}`);
  if (status === 408 || status >= 500) return make("PROVIDER_UNAVAILABLE", `Orb failed (HTTP ${status}): ${reason}`);
  if (status === 401 || status === 403) return make("PROVIDER_AUTH_FAILED", `Orb refused the API key (HTTP ${status}): ${reason}; check orb.secretKey (ORB_API_KEY)`);
  if (status === 404) return make("PROVIDER_NOT_FOUND", `Orb could not find it: ${reason}`);
  // Orb answers 409 when a request's Idempotency-Key is in use by a request still in flight: a
  // later attempt is safe (events dedupe on their own idempotency_key), so it is retried.
  if (status === 409) return make("PROVIDER_CONFLICT", `Orb reported a conflict: ${reason}`, true);
  return make("PROVIDER_REJECTED", `Orb rejected the request (HTTP ${status}): ${reason}`);
}
