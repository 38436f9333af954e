import { setTimeout as sleep } from "node:timers/promises";
import { createStripeStandIn } from "../test/support/msw/stripe.ts";
import { serveFetch } from "../test/support/stand-ins/serve-fetch.ts";
import { LIVE_LIMITS, routeOf, slidingWindow, v1RateLimited, v2RateLimited, type CountedRoute, type LimitedRoute } from "./support/stripe-limits.ts";

/**
 * The Stripe stand-in (test/support) over real HTTP in a process of its own, driven over IPC by
 * the forwarder benchmarks, with what the stand-in leaves out of a production run: the time an
 * answer takes to come back from Stripe, and Stripe's live-mode limits on the usage routes
 * (support/stripe-limits.ts). Messages:
 * - `{ type: "configure", latencyMs, rateLimits }`: every answer is held `latencyMs` (the round
 *   trip to Stripe); with `rateLimits`, requests over Stripe's live limits are answered 429 as
 *   Stripe answers them;
 * - `{ type: "stats", prefix }`: what arrived under identifiers with that prefix, and the counts
 *   of requests, 429 answers and concurrent calls of one customer's meter;
 * - `{ type: "expire-sessions" }` ends every v2 session as their 15 minutes running out would;
 * - `{ type: "reset" }` forgets events, sessions and counts (the settings stay).
 */
const state = createStripeStandIn();

export interface StandInSettings {
  latencyMs: number;
  rateLimits: boolean;
}

export interface StandInStats {
  type: "stats";
  /** Events held under the prefix (each identifier once). */
  held: number;
  /** Arrivals under the prefix, duplicates included. */
  arrivals: number;
  /** Identifiers under the prefix that arrived more than once. */
  duplicates: number;
  /** Requests per usage route, 429 answers included. */
  requests: Record<CountedRoute, number>;
  /** Requests answered 429 because they were over Stripe's limit. */
  rateLimited: Record<CountedRoute, number>;
  /** Requests held at once, at most (a measure of the sender's concurrency). */
  maxInFlight: Record<CountedRoute, number>;
  /**
   * v1 calls that arrived while another call for the same customer and meter was still being
   * answered. Stripe allows one at a time; the documentation places this under its concurrency
   * limiter but does not say how it answers such a call, so these are counted, not refused.
   */
  customerConcurrency: number;
}

const routes: CountedRoute[] = ["meter_events", "meter_event_stream", "meter_event_session"];
const perRoute = () => Object.fromEntries(routes.map((route) => [route, 0])) as Record<CountedRoute, number>;

let settings: StandInSettings = { latencyMs: 0, rateLimits: false };
const windows: Record<LimitedRoute, ReturnType<typeof slidingWindow>> = {
  meter_events: slidingWindow(LIVE_LIMITS.meter_events),
  meter_event_stream: slidingWindow(LIVE_LIMITS.meter_event_stream),
};
let counts = { requests: perRoute(), rateLimited: perRoute(), maxInFlight: perRoute(), customerConcurrency: 0 };
const inFlight = perRoute();
/** v1 calls being answered, per customer and meter. */
const busyMeters = new Map<string, number>();

/** The answer, after the round trip to Stripe. */
async function afterLatency(answer: Response | Promise<Response>): Promise<Response> {
  const response = await answer;
  if (settings.latencyMs > 0) await sleep(settings.latencyMs);
  return response;
}

async function handle(request: Request): Promise<Response> {
  const route = routeOf(request.method, new URL(request.url).pathname);
  if (route === undefined) return afterLatency(state.fetch(request));
  counts.requests[route] += 1;
  inFlight[route] += 1;
  counts.maxInFlight[route] = Math.max(counts.maxInFlight[route], inFlight[route]);
  let meterKey: string | undefined;
  try {
    if (settings.rateLimits && route !== "meter_event_session" && !windows[route].admit(performance.now())) {
      counts.rateLimited[route] += 1;
      return await afterLatency(route === "meter_events" ? v1RateLimited() : v2RateLimited());
    }
    if (route === "meter_events") {
      const form = new URLSearchParams(await request.clone().text());
      meterKey = `${form.get("payload[stripe_customer_id]")}\u0000${form.get("event_name")}`;
      const busy = busyMeters.get(meterKey) ?? 0;
      if (busy > 0) counts.customerConcurrency += 1;
      busyMeters.set(meterKey, busy + 1);
    }
    return await afterLatency(state.fetch(request));
  } finally {
    inFlight[route] -= 1;
    if (meterKey !== undefined) {
      const left = busyMeters.get(meterKey)! - 1;
      if (left === 0) busyMeters.delete(meterKey);
      else busyMeters.set(meterKey, left);
    }
  }
}

function stats(prefix: string): StandInStats {
  let arrivals = 0;
  let duplicates = 0;
  for (const [identifier, count] of state.arrivals()) {
    if (!identifier.startsWith(prefix)) continue;
    arrivals += count;
    if (count > 1) duplicates += 1;
  }
  let held = 0;
  for (const event of state.events()) if (event.identifier.startsWith(prefix)) held += 1;
  return { type: "stats", held, arrivals, duplicates, ...counts };
}

const server = await serveFetch(handle);

process.on("message", (message: { type: string; id: number; prefix?: string } & Partial<StandInSettings>) => {
  const reply = (body: object) => process.send!({ id: message.id, ...body });
  switch (message.type) {
    case "configure":
      settings = { latencyMs: message.latencyMs ?? 0, rateLimits: message.rateLimits ?? false };
      reply({ type: "ok" });
      break;
    case "stats":
      reply(stats(message.prefix ?? ""));
      break;
    case "expire-sessions":
      state.expireSessions();
      reply({ type: "ok" });
      break;
    case "reset":
      state.reset();
      for (const window of Object.values(windows)) window.reset();
      counts = { requests: perRoute(), rateLimited: perRoute(), maxInFlight: perRoute(), customerConcurrency: 0 };
      reply({ type: "ok" });
      break;
    case "close":
      void server.close().then(() => {
        reply({ type: "ok" });
        process.disconnect();
      });
      break;
    default:
      reply({ type: "error", message: `unknown message ${message.type}` });
  }
});
process.send!({ id: 0, type: "listening", url: server.url });
