import { BillingError, type BillingErrorCode } from "../../core/errors.ts";
import { pausedByProviderError, retryAfterFromHeaders } from "../errors.ts";
import { PausedByProvider } from "../request-limiter.ts";

/**
 * A failed call through the OpenMeter SDK, with the HTTP answer when one came. The SDK's own
 * `HTTPError` (`dist/src/client/common.js`) keeps the problem+json body's `type`, `title`,
 * `status` and `detail` but not the headers, so the client keeps the answer beside it.
 */
export class OpenMeterCallError extends Error {
  /** The HTTP status of a refusal; undefined when no answer came (connection lost, timed out). */
  readonly status: number | undefined;
  readonly headers: Headers | undefined;
  /** The RFC 7807 body (`application/problem+json`: `type`, `title`, `status`, `detail`, `instance`), when the SDK parsed one. */
  readonly problem: Readonly<Record<string, unknown>> | undefined;
  readonly timedOut: boolean;

  constructor(cause: unknown, answer: Response | undefined, timeoutMs: number) {
    const timedOut = cause instanceof Error && cause.name === "TimeoutError";
    const refused = answer !== undefined && !answer.ok;
    const problem = refused && cause instanceof Error && "getField" in cause && typeof cause.getField === "function" ? problemOf(cause as Error & { getField(key: string): unknown }) : undefined;
    const detail = typeof problem?.detail === "string" && problem.detail !== "" ? problem.detail : typeof problem?.title === "string" ? problem.title : undefined;
    super(timedOut ? `no answer within ${timeoutMs} ms` : (detail ?? (cause instanceof Error ? cause.message : String(cause))), { cause });
    this.name = "OpenMeterCallError";
    this.status = refused ? answer.status : undefined;
    this.headers = refused ? answer.headers : undefined;
    this.problem = problem;
    this.timedOut = timedOut;
  }
}

function problemOf(error: Error & { getField(key: string): unknown }): Record<string, unknown> | undefined {
  const fields = ["type", "title", "status", "detail", "instance", "extensions"] as const;
  const entries = fields.map((key) => [key, error.getField(key)] as const).filter(([, value]) => value !== undefined);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/**
 * Maps one failed OpenMeter call to a BillingError. OpenMeter answers errors as
 * `application/problem+json` (RFC 7807; the SDK's `schemas.d.ts` lists 400, 401, 403, 412, 500, 503
 * and a default for `ingestEvents`); rate-limited requests get 429 with `Retry-After`
 * (openmeter.io/docs/cloud/api/rate-limiting). 429, 5xx, 408, timeouts and lost connections are
 * retryable (the SDK has no retries; the forwarder owns them); 401/403 mean the token; 404 keeps its
 * meaning; any other 4xx is a refusal of the request as sent. Non-SDK errors are bugs and are rethrown.
 *
 * @example
 * openmeterErrorToBillingError(callErrorWith400, new Date()).code // "PROVIDER_REJECTED"
 */
export function openmeterErrorToBillingError(error: unknown, now: Date): BillingError {
  if (error instanceof PausedByProvider) return pausedByProviderError("openmeter", error.retryAfterSeconds);
  if (!(error instanceof OpenMeterCallError)) throw error;
  const { status, headers } = error;
  const make = (code: BillingErrorCode, message: string) => {
    const wait = retryAfterFromHeaders(headers, now);
    return new BillingError(code, message, {
      provider: "openmeter",
      cause: error,
      ...(wait === undefined ? {} : { retryAfterSeconds: wait }),
      details: { status: status ?? null, ...(error.problem === undefined ? {} : { problem: error.problem }) },
    });
  };
  if (status === undefined) return make("PROVIDER_UNAVAILABLE", error.timedOut ? `OpenMeter did not answer: ${error.message} (openmeter.timeoutMs)` : `Could not reach OpenMeter: ${error.message}`);
  if (status === 429) return make("PROVIDER_RATE_LIMITED", `OpenMeter rate limit reached: ${error.message}`);
  if (status === 408 || status >= 500) return make("PROVIDER_UNAVAILABLE", `OpenMeter failed (HTTP ${status}): ${error.message}`);
  if (status === 401 || status === 403) return make("PROVIDER_AUTH_FAILED", `OpenMeter refused the API token (HTTP ${status}): ${error.message}; check openmeter.secretKey (OPENMETER_API_KEY)`);
  if (status === 404) return make("PROVIDER_NOT_FOUND", `OpenMeter could not find it: ${error.message}`);
  return make("PROVIDER_REJECTED", `OpenMeter rejected the request (HTTP ${status}): ${error.message}`);
}
