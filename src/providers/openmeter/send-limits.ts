import type { SendLimits } from "../request-limiter.ts";

/**
 * OpenMeter Cloud limits event ingestion "according to pricing" (per plan, no figure published) and
 * answers 429 with `Retry-After` when exceeded (openmeter.io/docs/cloud/api/rate-limiting);
 * self-hosted OpenMeter has no limit of its own. billhub starts modestly: 10 requests/s, 4 in
 * flight — up to 1,000 events/s in requests of 100 — and slows down on 429 answers.
 * `openmeter.maxRequestsPerSecond` / `maxInFlight` replace these figures.
 *
 * @example
 * openmeterSendLimits({}) // { requestsPerSecond: 10, maxInFlight: 4 }
 */
export function openmeterSendLimits(configured: { maxRequestsPerSecond?: number | undefined; maxInFlight?: number | undefined }): SendLimits {
  return { requestsPerSecond: configured.maxRequestsPerSecond ?? 10, maxInFlight: configured.maxInFlight ?? 4 };
}
