import { BillingError, type BillingErrorCode } from "../../core/errors.ts";
import { pausedByProviderError, retryAfterFromHeaders } from "../errors.ts";
import { PausedByProvider } from "../request-limiter.ts";

/**
 * What the Lago SDK throws for an HTTP error: the fetch `Response` itself, with `error` set to
 * the parsed body (`request` in `esm/openapi/client.js` of lago-javascript-client 1.53:
 * `if (!response.ok) throw data`). Recognized by shape.
 */
interface LagoErrorResponse {
  status: number;
  headers: Headers;
  error: unknown;
}

/** Lago's error body: `{ status, error, code?, error_details? }` (`ApiErrorUnprocessableEntity` and friends). */
export interface LagoErrorBody {
  status?: unknown;
  error?: unknown;
  code?: unknown;
  error_details?: unknown;
}

export function isLagoErrorResponse(error: unknown): error is LagoErrorResponse {
  return typeof error === "object" && error !== null && typeof (error as { status?: unknown }).status === "number" && (error as { headers?: unknown }).headers instanceof Headers && "error" in error;
}

/** The parsed error body of a thrown Lago response (an empty object when it had none). */
export function lagoErrorBody(error: LagoErrorResponse): LagoErrorBody {
  return typeof error.error === "object" && error.error !== null ? (error.error as LagoErrorBody) : {};
}

/** A request that never got an answer: fetch's network failure, or the call's timeout signal. */
function isConnectionFailure(error: unknown): error is Error {
  return error instanceof TypeError || (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"));
}

/**
 * Seconds to wait after a 429: Lago's `X-RateLimit-Reset` is the seconds until the window resets
 * (docs.getlago.com/api-reference/rate-limits; the SDK's `LagoRateLimitError` reads it so:
 * "reset; // seconds until window resets"), else Retry-After.
 */
function rateLimitWait(headers: Headers, now: Date): number | undefined {
  const reset = headers.get("x-ratelimit-reset");
  if (reset !== null && /^\d+(\.\d+)?$/.test(reset.trim())) {
    const seconds = Math.ceil(Number(reset));
    if (seconds > 0) return seconds;
  }
  return retryAfterFromHeaders(headers, now);
}

/**
 * Maps what a Lago SDK call threw to a BillingError, after Lago's error responses
 * (docs.getlago.com/api-reference/intro, `ApiError*` in `esm/openapi/client.d.ts`): 429 is
 * retryable after `X-RateLimit-Reset`; 5xx, 408, dropped connections and timeouts are retryable;
 * 401/403 mean the key; 404 keeps its meaning; 400 and 422 (`code: "validation_errors"`,
 * `error_details` naming the fields) are refusals. Anything else is a bug and is rethrown.
 *
 * @example
 * lagoErrorToBillingError(thrownResponse, new Date()).code // "PROVIDER_REJECTED"
 */
export function lagoErrorToBillingError(error: unknown, now: Date): BillingError {
  if (error instanceof PausedByProvider) return pausedByProviderError("lago", error.retryAfterSeconds);
  if (isConnectionFailure(error)) {
    return new BillingError("PROVIDER_UNAVAILABLE", `Could not reach Lago: ${error.message}`, { provider: "lago", retryable: true, cause: error, details: { status: null } });
  }
  if (!isLagoErrorResponse(error)) throw error;
  const { status, headers } = error;
  const body = lagoErrorBody(error);
  const parts = [typeof body.error === "string" ? body.error : undefined, typeof body.code === "string" ? body.code : undefined, body.error_details === undefined ? undefined : JSON.stringify(body.error_details)];
  const reason = parts.filter((part) => part !== undefined && part !== "").join(": ") || `HTTP ${status}`;
  const make = (code: BillingErrorCode, message: string, wait?: number) =>
    new BillingError(code, message, { provider: "lago", cause: error, ...(wait === undefined ? {} : { retryAfterSeconds: wait }), details: { status, ...(body.error_details === undefined ? {} : { errorDetails: body.error_details }) } });

  if (status === 429) return make("PROVIDER_RATE_LIMITED", `Lago rate limit reached (X-RateLimit-Limit ${headers.get("x-ratelimit-limit") ?? "?"}): ${reason}`, rateLimitWait(headers, now));
  if (status === 408 || status >= 500) return make("PROVIDER_UNAVAILABLE", `Lago failed (HTTP ${status}): ${reason}`, retryAfterFromHeaders(headers, now));
  if (status === 401 || status === 403) return make("PROVIDER_AUTH_FAILED", `Lago refused the API key (HTTP ${status}): ${reason}; check lago.secretKey (LAGO_API_KEY)`);
  if (status === 404) return make("PROVIDER_NOT_FOUND", `Lago could not find it: ${reason}`);
  return make("PROVIDER_REJECTED", `Lago rejected the request (HTTP ${status}): ${reason}`);
}
