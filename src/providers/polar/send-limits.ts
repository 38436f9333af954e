import type { SendLimits } from "../request-limiter.ts";

/**
 * Polar's limits, as documented: "100 requests per second per IP address" (docs.polar.sh/api-reference/rate-limits),
 * and, in the newer API overview, 500 requests per minute per organization in production and 100
 * in the sandbox (polar.sh/docs/api-reference/introduction). billhub keeps to the stricter:
 * 8 requests/s in production and 1.5 in the sandbox, 4 in flight, and slows down further on 429
 * (whose Retry-After it waits out). `polar.maxRequestsPerSecond` / `maxInFlight` replace these.
 *
 * @example
 * polarSendLimits({ environment: "production" }) // { requestsPerSecond: 8, maxInFlight: 4 }
 */
export function polarSendLimits(configured: { environment: "production" | "sandbox"; maxRequestsPerSecond?: number | undefined; maxInFlight?: number | undefined }): SendLimits {
  return { requestsPerSecond: configured.maxRequestsPerSecond ?? (configured.environment === "sandbox" ? 1.5 : 8), maxInFlight: configured.maxInFlight ?? 4 };
}
