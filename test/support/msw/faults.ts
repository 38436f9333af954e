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
  /**
   * The provider processes the request, then the connection drops before the answer arrives:
   * the client cannot tell whether it was recorded (the case a resend must not double count).
   */
  | { kind: "reset_after_processing" }
  /**
   * No answer: the stand-in holds the request for `holdMs` (default 60 s), or until `release`
   * settles when given (a test's own moment rather than the clock's), then drops the connection.
   * The client's own timeout has to end the wait before that.
   */
  | { kind: "timeout"; holdMs?: number; release?: Promise<unknown> }
  /** The provider processes the request, then holds the answer as `timeout` does. */
  | { kind: "timeout_after_processing"; holdMs?: number }
  /** Stripe v2 only: the meter event session token is refused as expired. */
  | { kind: "session_expired" }
  /** Any response at all. */
  | { kind: "response"; status: number; body: unknown; headers?: Record<string, string> };

/** Random faults: each request without a queued fault draws one with `probability`. */
export interface RandomFaults {
  probability: number;
  faults: readonly Fault[];
  /** Seed of the draw, so a run can be repeated. */
  seed: number;
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A queue of faults per route: each request to the route takes the next one, if any; then a random one, if set. */
export function createFaultQueue<Route extends string>() {
  const queues = new Map<Route, Fault[]>();
  const random = new Map<Route, { probability: number; faults: readonly Fault[]; draw: () => number }>();
  const served = new Map<Fault["kind"], number>();
  const serve = (fault: Fault | undefined) => {
    if (fault) served.set(fault.kind, (served.get(fault.kind) ?? 0) + 1);
    return fault;
  };
  return {
    /** Answers the next `times` requests to `route` with `fault`. */
    inject(route: Route, fault: Fault, times = 1): void {
      const queue = queues.get(route) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(fault);
      queues.set(route, queue);
    },
    /** From now on, answers each request to `route` with a random fault with `probability`. */
    injectRandom(route: Route, faults: RandomFaults): void {
      random.set(route, { probability: faults.probability, faults: faults.faults, draw: seededRandom(faults.seed) });
    },
    take(route: Route): Fault | undefined {
      const queued = queues.get(route)?.shift();
      if (queued) return serve(queued);
      const chaos = random.get(route);
      if (chaos === undefined || chaos.draw() >= chaos.probability) return undefined;
      return serve(chaos.faults[Math.floor(chaos.draw() * chaos.faults.length)]);
    },
    /** How many faults of each kind were answered so far. */
    served(): Partial<Record<Fault["kind"], number>> {
      return Object.fromEntries(served);
    },
    pending(route: Route): number {
      return queues.get(route)?.length ?? 0;
    },
    clear(): void {
      queues.clear();
      random.clear();
      served.clear();
    },
  };
}

/** A fault that strikes only once the request was processed (its answer is lost). */
export function strikesAfterProcessing(fault: Fault): boolean {
  return fault.kind === "reset_after_processing" || fault.kind === "timeout_after_processing";
}

/**
 * An answer that never comes in time: after `holdMs`, or once `release` settles, the connection
 * drops (the timer does not keep the process alive).
 */
export function unanswered(holdMs = 60_000, release?: Promise<unknown>): Promise<Response> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(connectionReset()), holdMs).unref();
    const drop = () => {
      clearTimeout(timer);
      resolve(connectionReset());
    };
    release?.then(drop, drop);
  });
}

/** The connection-reset response: the client sees a network error, not an HTTP status. */
export function connectionReset(): Response {
  return HttpResponse.error();
}
