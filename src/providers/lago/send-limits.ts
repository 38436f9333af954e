import type { SendLimits } from "../request-limiter.ts";

/**
 * Lago's documented limits, per organization (docs.getlago.com/api-reference/rate-limits): 500
 * requests/s on POST /events (billhub's single and batch event requests), 200/s on current usage,
 * 50/s on every other endpoint; past them Lago answers 429 with `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining` and `X-RateLimit-Reset`. Usage requests are paced at 500/s with 16 in
 * flight (up to 50,000 events/s in batches of 100); reads (a customer's subscriptions, a plan) at
 * 50/s. `lago.maxRequestsPerSecond` / `maxInFlight` replace the event figures, e.g. when other
 * producers share the organization's budget.
 *
 * @example
 * lagoSendLimits({}) // { requestsPerSecond: 500, maxInFlight: 16 }
 */
export function lagoSendLimits(configured: { maxRequestsPerSecond?: number | undefined; maxInFlight?: number | undefined }): SendLimits {
  return { requestsPerSecond: configured.maxRequestsPerSecond ?? 500, maxInFlight: configured.maxInFlight ?? 16 };
}

/** Reads (GET /subscriptions, GET /plans/{code}) fall under Lago's 50 requests/s for other endpoints. */
export const LAGO_READ_LIMITS: SendLimits = { requestsPerSecond: 50, maxInFlight: 8 };
