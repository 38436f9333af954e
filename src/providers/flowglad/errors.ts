import { BillingError, type BillingErrorCode } from "../../core/errors.ts";
import { pausedByProviderError, retryAfterFromHeaders } from "../errors.ts";
import { PausedByProvider } from "../request-limiter.ts";

/**
 * The shape of the Flowglad SDK's errors (its own `APIError` family). @flowglad/server pins its
 * own copies of its dependencies, so billhub recognizes the shape rather than using instanceof.
 */
interface FlowgladApiError extends Error {
  status: number | undefined;
  headers: Headers | undefined;
  error: unknown;
}

/** True for an error the Flowglad SDK raised about a request (HTTP status or connection). */
export function isFlowgladError(error: unknown): error is FlowgladApiError {
  return error instanceof Error && "status" in error && "headers" in error && "error" in error;
}

/** Flowglad's error code from a failed request's body (`{ error, code, request_id }`), if any. */
export function flowgladCode(error: unknown): string | undefined {
  if (!isFlowgladError(error)) return undefined;
  const body = error.error;
  return typeof body === "object" && body !== null && "code" in body && typeof body.code === "string" ? body.code : undefined;
}

/**
 * Maps one Flowglad SDK error to a BillingError: connection failures, 408, 429 and 5xx retry
 * (429 with Retry-After when sent), NOT_FOUND and CONFLICT keep their meaning, the rest is a
 * refusal. Non-SDK errors are bugs and are rethrown.
 *
 * @example
 * flowgladErrorToBillingError(conflictFromSdk, new Date()).code // "PROVIDER_CONFLICT"
 */
export function flowgladErrorToBillingError(error: unknown, now: Date): BillingError {
  if (error instanceof PausedByProvider) return pausedByProviderError("flowglad", error.retryAfterSeconds);
  if (!isFlowgladError(error)) throw error;
  const { status, headers } = error;
  const body = typeof error.error === "object" && error.error !== null ? (error.error as Record<string, unknown>) : {};
  const code = flowgladCode(error);
  const requestId = typeof body.request_id === "string" ? body.request_id : undefined;
  const said = typeof body.error === "string" ? body.error : typeof body.message === "string" ? body.message : error.message;
  const reason = `${said}${requestId ? ` (request ${requestId})` : ""}`;
  const shouldRetry = headers?.get("x-should-retry");
  const make = (billingCode: BillingErrorCode, message: string) => {
    const wait = retryAfterFromHeaders(headers, now);
    return new BillingError(billingCode, message, {
      provider: "flowglad",
      cause: error,
      ...(shouldRetry === "true" ? { retryable: true } : shouldRetry === "false" ? { retryable: false } : {}),
      ...(wait === undefined ? {} : { retryAfterSeconds: wait }),
      details: { status: status ?? null, ...(code ? { flowgladCode: code } : {}), ...(requestId ? { requestId } : {}) },
    });
  };

  if (status === undefined) return make("PROVIDER_UNAVAILABLE", `Could not reach Flowglad: ${reason}`);
  if (status === 429) return make("PROVIDER_RATE_LIMITED", `Flowglad rate limit reached: ${reason}`);
  if (status === 408 || status >= 500) return make("PROVIDER_UNAVAILABLE", `Flowglad failed (HTTP ${status}): ${reason}`);
  if (status === 401 || status === 403) return make("PROVIDER_AUTH_FAILED", `Flowglad refused the API key (HTTP ${status}): ${reason}; check flowglad.secretKey (FLOWGLAD_SECRET_KEY)`);
  if (code === "NOT_FOUND" || status === 404) return make("PROVIDER_NOT_FOUND", `Flowglad could not find it: ${reason}`);
  if (code === "CONFLICT" || status === 409) return make("PROVIDER_CONFLICT", `Flowglad reported a conflict: ${reason}`);
  return make("PROVIDER_REJECTED", `Flowglad rejected the request (HTTP ${status}): ${reason}`);
}
