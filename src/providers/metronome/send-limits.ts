import type { SendLimits } from "../request-limiter.ts";

/**
 * Metronome publishes no request rate limit: its status codes page says only that 429 means "too
 * many requests hit the API too quickly" (docs.metronome.com/api-reference/status-codes), and the
 * ingest reference that Metronome "supports 100,000 events per second"
 * (docs.metronome.com/api-reference/usage/ingest-events). billhub starts modestly: 20 requests/s,
 * 8 in flight — up to 2,000 events/s in requests of 100 — and slows down on 429 answers.
 * `metronome.maxRequestsPerSecond` / `maxInFlight` replace these figures.
 *
 * @example
 * metronomeSendLimits({}) // { requestsPerSecond: 20, maxInFlight: 8 }
 */
export function metronomeSendLimits(configured: { maxRequestsPerSecond?: number | undefined; maxInFlight?: number | undefined }): SendLimits {
  return { requestsPerSecond: configured.maxRequestsPerSecond ?? 20, maxInFlight: configured.maxInFlight ?? 8 };
}
