import { createStripeStandIn, type StripeRoute, type StripeStandIn, type StripeStandInOptions } from "../msw/stripe.ts";
import type { Fault, RandomFaults } from "../msw/faults.ts";
import { serveFetch } from "./serve-fetch.ts";

export interface StripeServerOptions extends Omit<StripeStandInOptions, "apiOrigin" | "meterEventsOrigin"> {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Faults to start with: queued ones and/or random ones, per route. */
  faults?: { queued?: Array<{ route: StripeRoute; fault: Fault; times?: number }>; random?: Array<{ route: StripeRoute } & RandomFaults> };
}

export interface StripeServer {
  /** Set STRIPE_API_BASE (or `stripe.apiBase`) to this: stripe-node then sends v1, v2 and the meter event stream here. */
  url: string;
  /** The stand-in's state: events held, arrivals per identifier, duplicates, calls, faults. */
  state: StripeStandIn;
  close(): Promise<void>;
}

/**
 * The Stripe stand-in over real HTTP, for forwarders in other processes (CLI tests, crash tests,
 * benchmarks). With `host`/`port`/`protocol` set, stripe-node sends every API, the v2 meter event
 * stream included, to that one host, so one server stands in for api.stripe.com and
 * meter-events.stripe.com.
 *
 * @example
 * const stripe = await startStripeStandIn({ port: 0 });
 * // STRIPE_API_BASE=stripe.url billhub outbox drain
 * expect(stripe.state.duplicates()).toEqual([]);
 * await stripe.close();
 */
export async function startStripeStandIn(options: StripeServerOptions = {}): Promise<StripeServer> {
  const { port, faults, ...standInOptions } = options;
  const state = createStripeStandIn(standInOptions);
  for (const queued of faults?.queued ?? []) state.inject(queued.route, queued.fault, queued.times);
  for (const { route, ...random } of faults?.random ?? []) state.injectRandom(route, random);
  const served = await serveFetch((request) => state.fetch(request), port === undefined ? {} : { port });
  return { url: served.url, state, close: served.close };
}
