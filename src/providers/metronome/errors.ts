import { BillingError, type BillingErrorCode } from "../../core/errors.ts";
import { pausedByProviderError, retryAfterFromHeaders } from "../errors.ts";
import { PausedByProvider } from "../request-limiter.ts";

/**
 * The shape of the Metronome SDK's errors (its `APIError` family: `status`, `headers`, `error`
 * = the parsed body). Recognized by shape, so the SDK need not be loaded to map them.
 */
interface MetronomeApiError extends Error {
  status: number | undefined;
  headers: Headers | undefined;
  error: unknown;
}

/** True for an error the Metronome SDK raised about a request (HTTP status or connection). */
export function isMetronomeError(error: unknown): error is MetronomeApiError {
  return error instanceof Error && "status" in error && "headers" in error && "error" in error;
}

/**
 * Maps one Metronome SDK error to a BillingError, after Metronome's status codes
 * (docs.metronome.com/api-reference/status-codes): every 4xx body is `{ "message": "..." }`;
 * 429 "wait and try again later" and 5xx "retry your request" are retryable (429 with its
 * Retry-After / retry-after-ms when sent), as are connection failures and timeouts; 401/403 mean
 * the token; 404 and 409 keep their meaning; any other 4xx (400: "malformed syntax, or a missing
 * or malformed parameter") is a refusal. `x-should-retry`, which the SDK honours, overrides.
 * Non-SDK errors are bugs and are rethrown.
 *
 * @example
 * metronomeErrorToBillingError(badRequestFromSdk, new Date()).code // "PROVIDER_REJECTED"
 */
export function metronomeErrorToBillingError(error: unknown, now: Date): BillingError {
  if (error instanceof PausedByProvider) return pausedByProviderError("metronome", error.retryAfterSeconds);
  if (!isMetronomeError(error)) throw error;
  const { status, headers } = error;
  const body = typeof error.error === "object" && error.error !== null ? (error.error as Record<string, unknown>) : {};
  const reason = typeof body.message === "string" ? body.message : error.message;
  const shouldRetry = headers?.get("x-should-retry");
  const make = (code: BillingErrorCode, message: string) => {
    const wait = retryAfterFromHeaders(headers, now);
    return new BillingError(code, message, {
      provider: "metronome",
      cause: error,
      ...(shouldRetry === "true" ? { retryable: true } : shouldRetry === "false" ? { retryable: false } : {}),
      ...(wait === undefined ? {} : { retryAfterSeconds: wait }),
      details: { status: status ?? null },
    });
  };

  if (status === undefined) return make("PROVIDER_UNAVAILABLE", `Could not reach Metronome: ${reason}`);
  if (status === 429) return make("PROVIDER_RATE_LIMITED", `Metronome rate limit reached: ${reason}`);
  if (status === 408 || status >= 500) return make("PROVIDER_UNAVAILABLE", `Metronome failed (HTTP ${status}): ${reason}`);
  if (status === 401 || status === 403) return make("PROVIDER_AUTH_FAILED", `Metronome refused the token (HTTP ${status}): ${reason}; check metronome.secretKey (METRONOME_BEARER_TOKEN)`);
  if (status === 404) return make("PROVIDER_NOT_FOUND", `Metronome could not find it: ${reason}`);
  if (status === 409) return make("PROVIDER_CONFLICT", `Metronome reported a conflict: ${reason}`);
  return make("PROVIDER_REJECTED", `Metronome rejected the request (HTTP ${status}): ${reason}`);
}
