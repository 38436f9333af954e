import type { SendLimits } from "../request-limiter.ts";

/**
 * Flowglad publishes no request limits (its API reference and SDK name none; checked against
 * @flowglad/server 0.18 and docs.flowglad.com, unverified beyond that), so billhub starts
 * modestly: 20 requests/s, 8 in flight — up to 2,000 usage events/s in bulk requests of 100 —
 * and slows down on Flowglad's 429 answers. `flowglad.maxRequestsPerSecond` / `maxInFlight`
 * replace these figures.
 *
 * @example
 * flowgladSendLimits({}) // { requestsPerSecond: 20, maxInFlight: 8 }
 */
export function flowgladSendLimits(configured: { maxRequestsPerSecond?: number | undefined; maxInFlight?: number | undefined }): SendLimits {
  return { requestsPerSecond: configured.maxRequestsPerSecond ?? 20, maxInFlight: configured.maxInFlight ?? 8 };
}
