import { randomBytes } from "node:crypto";

/**
 * Stripe's live-mode limits on the usage routes, and its answer over them, in front of the Stripe
 * stand-in (test/support/msw/stripe.ts), which itself answers at once and without limits.
 *
 * - v1 `POST /v1/billing/meter_events`: 1,000 calls/s per account in live mode, a limit of its
 *   own outside the basic 100/s, and one concurrent call per customer per meter
 *   (docs.stripe.com/rate-limits, docs.stripe.com/billing/subscriptions/usage-based/recording-usage-api).
 * - v2 `POST /v2/billing/meter_event_stream`: 10,000 requests/s in live mode
 *   (docs.stripe.com/api/v2/billing/meter-event-stream/create).
 *
 * Stripe does not publish how much burst its limiter allows, so the limit is read strictly: at
 * most N admitted requests in any window of one second. Refused requests do not use up the limit.
 */
export const LIVE_LIMITS = { meter_events: 1000, meter_event_stream: 10_000 } as const;

export type LimitedRoute = keyof typeof LIVE_LIMITS;
export type CountedRoute = LimitedRoute | "meter_event_session";

/** Which counted route a request is for, by method and path. */
export function routeOf(method: string, path: string): CountedRoute | undefined {
  if (method !== "POST") return undefined;
  if (path === "/v1/billing/meter_events") return "meter_events";
  if (path === "/v2/billing/meter_event_stream") return "meter_event_stream";
  if (path === "/v2/billing/meter_event_session") return "meter_event_session";
  return undefined;
}

/** At most `perSecond` admissions in any window of 1,000 ms (a ring of the last `perSecond` admission times). */
export function slidingWindow(perSecond: number) {
  const admitted = new Float64Array(perSecond).fill(Number.NEGATIVE_INFINITY);
  let oldest = 0;
  return {
    admit(nowMs: number): boolean {
      if (nowMs - admitted[oldest]! < 1000) return false;
      admitted[oldest] = nowMs;
      oldest = (oldest + 1) % perSecond;
      return true;
    },
    reset(): void {
      admitted.fill(Number.NEGATIVE_INFINITY);
      oldest = 0;
    },
  };
}

const requestId = () => `req_${randomBytes(7).toString("hex")}`;

/**
 * Stripe's answer to a v1 request over a rate limit. The body is Stripe's `rate_limit` error
 * (type `invalid_request_error`, code `rate_limit`, as Stripe sends it; stripe-node makes any 429 a
 * StripeRateLimitError by its status, `generateV1Error` in stripe/cjs/Error.js). The headers:
 * `Stripe-Rate-Limited-Reason` marks a 429 that a limiter sent (a 429 without it is something else,
 * such as a lock timeout; the meter events limit is the endpoint's own, hence `endpoint-rate`);
 * `Stripe-Should-Retry: false` because Stripe's SDKs, which follow that header, do not retry
 * rate-limit 429s (they do retry lock timeouts); and no `Retry-After`, which Stripe does not send
 * or document for rate limits (docs.stripe.com/rate-limits).
 */
export function v1RateLimited(): Response {
  const id = requestId();
  return Response.json(
    {
      error: {
        code: "rate_limit",
        doc_url: "https://stripe.com/docs/error-codes/rate-limit",
        message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
        request_log_url: `https://dashboard.stripe.com/logs/${id}?t=${Math.floor(Date.now() / 1000)}`,
        type: "invalid_request_error",
      },
    },
    { status: 429, headers: { "request-id": id, "stripe-should-retry": "false", "stripe-rate-limited-reason": "endpoint-rate" } },
  );
}

/**
 * Stripe's answer to a v2 request over a rate limit: a v2 error of type `rate_limit` (stripe-node's
 * `generateV2Error` makes it a RateLimitError; the v2 API's error types list `rate_limit`), with the
 * same headers as on v1.
 */
export function v2RateLimited(): Response {
  return Response.json(
    { error: { type: "rate_limit", message: "Request rate limit exceeded. Learn more about rate limits here https://docs.stripe.com/rate-limits." } },
    { status: 429, headers: { "request-id": requestId(), "stripe-should-retry": "false", "stripe-rate-limited-reason": "endpoint-rate" } },
  );
}
