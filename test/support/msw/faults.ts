import { HttpResponse } from "msw";

/**
 * Faults a stand-in can be told to answer with instead of its normal response, so forwarder and
 * end-to-end tests can reproduce rate limits, outages and dropped connections on demand.
 */
export type Fault =
  /** HTTP 429 with the provider's real body; `retryAfter` sets the Retry-After header. */
  | { kind: "rate_limit"; retryAfter?: string }
  /** HTTP 500 (or another 5xx) with the provider's real body. */
  | { kind: "server_error"; status?: number }
  /** The connection drops before a response (msw `HttpResponse.error()`). */
  | { kind: "reset" }
  /** Stripe v2 only: the meter event session token is refused as expired. */
  | { kind: "session_expired" }
  /** Any response at all. */
  | { kind: "response"; status: number; body: unknown; headers?: Record<string, string> };

/** A queue of faults per route: each request to the route takes the next one, if any. */
export function createFaultQueue<Route extends string>() {
  const queues = new Map<Route, Fault[]>();
  return {
    /** Answers the next `times` requests to `route` with `fault`. */
    inject(route: Route, fault: Fault, times = 1): void {
      const queue = queues.get(route) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(fault);
      queues.set(route, queue);
    },
    take(route: Route): Fault | undefined {
      return queues.get(route)?.shift();
    },
    pending(route: Route): number {
      return queues.get(route)?.length ?? 0;
    },
    clear(): void {
      queues.clear();
    },
  };
}

/** The connection-reset response: the client sees a network error, not an HTTP status. */
export function connectionReset(): Response {
  return HttpResponse.error();
}
