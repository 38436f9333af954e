import { BillingError, type BillingErrorCode } from "../../core/errors.ts";
import { pausedByProviderError } from "../errors.ts";
import { PausedByProvider } from "../request-limiter.ts";

/**
 * The shape of the Polar SDK's errors (`dist/base-*.mjs`): `PolarNetworkError` (no answer: a lost
 * connection or the timeout), `PolarServerError` (5xx; the status only in its message),
 * `PolarRateLimitError` (429, `retryAfter` = `parseInt(Retry-After)` or null) and `PolarClientError`
 * and its subclasses (`statusCode`, `error` = the body: `HTTPValidationError` for 422, `ResourceNotFound`
 * for 404, …). Recognized by shape, so the SDK need not be loaded to map them.
 */
interface PolarSdkError extends Error {
  statusCode?: number;
  error?: unknown;
  retryAfter?: number | null;
}

const SDK_ERRORS = new Set(["PolarNetworkError", "PolarServerError", "PolarRateLimitError", "PolarClientError"]);

/** True for an error the Polar SDK raised about a request. */
export function isPolarError(error: unknown): error is PolarSdkError {
  return error instanceof Error && (SDK_ERRORS.has(error.name) || ("statusCode" in error && typeof error.statusCode === "number" && "error" in error));
}

/**
 * Maps one Polar SDK error to a BillingError. Polar answers 429 with `Retry-After` when its rate
 * limit is reached (docs.polar.sh/api-reference/rate-limits): retryable after that wait. 5xx,
 * lost connections and timeouts are retryable too (the SDK retries nothing; the forwarder does).
 * 401/403 mean the token; 404 keeps its meaning; 422 (`{ detail: [{ loc, msg, type }] }`) and any
 * other 4xx refuse the request as sent. Non-SDK errors are bugs and are rethrown.
 *
 * @example
 * polarErrorToBillingError(validationErrorFromSdk).code // "PROVIDER_REJECTED"
 */
export function polarErrorToBillingError(error: unknown): BillingError {
  if (error instanceof PausedByProvider) return pausedByProviderError("polar", error.retryAfterSeconds);
  if (!isPolarError(error)) throw error;
  const status = error.name === "PolarServerError" ? Number(/server error: (\d{3})/.exec(error.message)?.[1] ?? 500) : error.statusCode;
  const make = (code: BillingErrorCode, message: string, retryAfterSeconds?: number) =>
    new BillingError(code, message, {
      provider: "polar",
      cause: error,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      details: { status: status ?? null },
    });

  if (error.name === "PolarNetworkError" || status === undefined) return make("PROVIDER_UNAVAILABLE", `Could not reach Polar: ${error.message} (polar.timeoutMs bounds each request)`);
  if (status === 429) {
    // The SDK parses Retry-After with parseInt: an HTTP-date header comes through as NaN.
    const wait = typeof error.retryAfter === "number" && Number.isFinite(error.retryAfter) && error.retryAfter > 0 ? Math.ceil(error.retryAfter) : undefined;
    return make("PROVIDER_RATE_LIMITED", "Polar rate limit reached", wait);
  }
  if (status === 408 || status >= 500) return make("PROVIDER_UNAVAILABLE", `Polar failed (HTTP ${status}): ${error.message}`);
  const reason = describeBody(error.error) ?? error.message;
  if (status === 401 || status === 403) return make("PROVIDER_AUTH_FAILED", `Polar refused the access token (HTTP ${status}): ${reason}; check polar.secretKey (POLAR_ACCESS_TOKEN) and polar.environment (tokens differ between production and sandbox)`);
  if (status === 404) return make("PROVIDER_NOT_FOUND", `Polar could not find it: ${reason}`);
  return make("PROVIDER_REJECTED", `Polar rejected the request (HTTP ${status}): ${reason}`);
}

/** A readable reason from a Polar error body: FastAPI's `{ detail: string | [{ loc, msg }] }`, else none. */
function describeBody(body: unknown): string | undefined {
  if (typeof body === "string") {
    try {
      return describeBody(JSON.parse(body)) ?? (body.length > 0 ? body.slice(0, 300) : undefined);
    } catch {
      return body.length > 0 ? body.slice(0, 300) : undefined;
    }
  }
  if (typeof body !== "object" || body === null || !("detail" in body)) return undefined;
  const { detail } = body as { detail: unknown };
  if (typeof detail === "string") return detail;
  if (!Array.isArray(detail)) return undefined;
  return detail
    .map((issue: { loc?: unknown; msg?: unknown }) => `${Array.isArray(issue.loc) ? issue.loc.join(".") : "body"}: ${typeof issue.msg === "string" ? issue.msg : "invalid"}`)
    .join("; ");
}
