import type { SendLimits } from "../request-limiter.ts";

/**
 * Orb publishes no hard limit for ingestion: "Orb does not currently enforce a hard rate-limit for
 * API usage or a maximum request payload size, but please give us a heads up if you're changing
 * either of these factors by an order of magnitude" (`events.ingest` docblock in
 * `resources/events/events.d.ts` of orb-billing 6.11). billhub starts modestly: 20 requests/s,
 * 8 in flight — up to 10,000 events/s in requests of 500 — and slows down on 429 answers
 * (`TooManyRequests`, docs.withorb.com/api-reference/error-responses).
 * `orb.maxRequestsPerSecond` / `maxInFlight` replace these figures.
 *
 * @example
 * orbSendLimits({}) // { requestsPerSecond: 20, maxInFlight: 8 }
 */
export function orbSendLimits(configured: { maxRequestsPerSecond?: number | undefined; maxInFlight?: number | undefined }): SendLimits {
  return { requestsPerSecond: configured.maxRequestsPerSecond ?? 20, maxInFlight: configured.maxInFlight ?? 8 };
}
