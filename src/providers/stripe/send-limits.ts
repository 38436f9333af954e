import type { SendLimits } from "../request-limiter.ts";

type Mode = "meter_events" | "meter_event_stream";

/**
 * Stripe's documented request limits for sending usage, per account:
 * - v1 meter events, live mode: 1,000 calls/s, a limit of their own outside the basic 100/s
 *   ("Calls to the Meter events endpoint in live mode are subject to a separate rate limit …
 *   1000 calls per second per Stripe account"; in test mode they count toward the basic limit,
 *   25 operations/s) — https://docs.stripe.com/rate-limits
 * - v2 meter event stream, live mode: 10,000 requests/s of up to 100 events each —
 *   https://docs.stripe.com/api/v2/billing/meter-event-stream/create. Stripe states no sandbox
 *   figure for the stream; billhub assumes the basic sandbox limit (25/s) there.
 * Keys that name no mode (a local stand-in's) get the test-mode limits. The window of requests in
 * flight covers a quarter of a second of the rate (a reply 250 ms away still keeps the rate), with
 * at least 8 and for v1 at most 256 (one call per customer per meter bounds it anyway).
 */
const DOCUMENTED: Record<Mode, { live: number; test: number }> = {
  meter_events: { live: 1000, test: 25 },
  meter_event_stream: { live: 10_000, test: 25 },
};
const MAX_WINDOW: Record<Mode, number> = { meter_events: 256, meter_event_stream: 64 };

/**
 * The send limits for a mode and key; `stripe.maxRequestsPerSecond` / `maxInFlight` replace the
 * documented figures (lower them to leave room for other senders on the account, raise them
 * after Stripe raised the account's limit).
 *
 * @example
 * stripeSendLimits("meter_events", true, {}) // { requestsPerSecond: 1000, maxInFlight: 250 }
 */
export function stripeSendLimits(mode: Mode, livemode: boolean | undefined, configured: { maxRequestsPerSecond?: number | undefined; maxInFlight?: number | undefined }): SendLimits {
  const requestsPerSecond = configured.maxRequestsPerSecond ?? DOCUMENTED[mode][livemode === true ? "live" : "test"];
  const window = Math.min(MAX_WINDOW[mode], Math.max(8, Math.ceil(requestsPerSecond / 4)));
  return { requestsPerSecond, maxInFlight: configured.maxInFlight ?? window };
}
