import type { createPolar } from "@polar-sh/sdk/2026-10";
import type { PolarSettings } from "./config.ts";

type Polar = ReturnType<typeof createPolar>;
type EventsIngest = Parameters<Polar["events"]["ingest"]>[0];

/** One usage event as `POST /v1/events/ingest` takes it, named by the customer's external id. */
export type PolarUsageEvent = Extract<EventsIngest["events"][number], { external_customer_id: string }>;
/** `{ inserted, duplicates? }`: how many events were new and how many repeated a known `external_id`. */
export type PolarIngestResult = Awaited<ReturnType<Polar["events"]["ingest"]>>;
export type PolarSubscription = Awaited<ReturnType<Polar["subscriptions"]["get"]>>;
export type PolarProduct = Awaited<ReturnType<Polar["products"]["get"]>>;
/** `CustomerIndividualCreate` (`POST /v1/customers/`): `email` is required and unique in the organization, as is `external_id`. */
export type PolarCustomerCreate = Extract<Parameters<Polar["customers"]["create"]>[0], { email: string; type?: "individual" }>;
/** `CheckoutCreate` (`POST /v1/checkouts/`). */
export type PolarCheckoutCreate = Parameters<Polar["checkouts"]["create"]>[0];

/** One `GET /v1/meters/{id}/quantities` request: the buckets of `interval` from `start` through `lastInstant`'s, in UTC, for one customer. */
export interface PolarMeterQuery {
  interval: "hour" | "day";
  start: Date;
  /** Polar counts the bucket this instant falls in, whole (see quantity-windows.ts). */
  lastInstant: Date;
  externalCustomerId: string;
}

/** The calls billhub makes through the Polar SDK (tests may hand in any object that has them). */
export interface PolarClient {
  /** `polar.events.ingest({ events })`: POST /v1/events/ingest. */
  ingest(events: PolarUsageEvent[]): Promise<PolarIngestResult>;
  /** `polar.meters.quantities(id, …)` (GET /v1/meters/{id}/quantities): the meter's `total`, "the total quantity for the period" (`MeterQuantities`), for one customer. */
  meterTotal(meterId: string, query: PolarMeterQuery): Promise<number>;
  /** `polar.meters.get(id)` (GET /v1/meters/{id}): the meter's aggregation function (`sum`, `count`, ...). */
  meterAggregation(meterId: string): Promise<string>;
  /** `polar.subscriptions.get(id)` (GET /v1/subscriptions/{id}). */
  getSubscription(id: string): Promise<PolarSubscription>;
  /** `polar.products.get(id)` (GET /v1/products/{id}). */
  getProduct(id: string): Promise<PolarProduct>;
  /** `polar.customers.getExternal(externalId)` (GET /v1/customers/external/{external_id}): the customer's Polar id. */
  customerByExternalId(externalId: string): Promise<{ id: string }>;
  /** `polar.customers.create(body)` (POST /v1/customers/). */
  createCustomer(body: PolarCustomerCreate): Promise<{ id: string }>;
  /** `polar.checkouts.create(body)` (POST /v1/checkouts/): the session's id and its hosted `url`. */
  createCheckout(body: PolarCheckoutCreate): Promise<{ id: string; url: string }>;
  /** `polar.customerSessions.create({ external_customer_id, return_url })` (POST /v1/customer-sessions/): its id and `customer_portal_url`. */
  createCustomerSession(externalCustomerId: string, returnUrl: string): Promise<{ id: string; customer_portal_url: string }>;
}

/**
 * Builds the Polar client billhub uses, from the SDK's 2026-10 API version (`@polar-sh/sdk/2026-10`,
 * `createPolar`). The SDK has no retries (`dist/base-*.mjs`: one `fetch` per call), so the
 * forwarder owns them; its timeout is in seconds (default 5). It calls the global `fetch` at
 * request time, so whatever fetch is in place then (msw's, in tests) is used. The SDK is loaded at
 * the first call.
 *
 * @example
 * const client = createPolarClient({ secretKey: process.env.POLAR_ACCESS_TOKEN!, environment: "production", timeoutMs: 5_000 });
 * await client.ingest([{ name: "api_call", external_customer_id: "acme", external_id: "tx_1", metadata: { quantity: 1 } }]);
 */
export function createPolarClient(options: Pick<PolarSettings, "secretKey" | "environment" | "baseUrl" | "timeoutMs">): PolarClient {
  let client: Promise<Polar> | undefined;
  const sdk = () =>
    (client ??= import("@polar-sh/sdk/2026-10").then(({ createPolar }) =>
      createPolar({ accessToken: options.secretKey, environment: options.environment, timeout: options.timeoutMs / 1000, ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl.replace(/\/$/, "") }) }),
    ));
  return {
    ingest: async (events) => (await sdk()).events.ingest({ events }),
    meterTotal: async (meterId, query) =>
      (
        await (await sdk()).meters.quantities(meterId, {
          start_timestamp: query.start.toISOString(),
          end_timestamp: query.lastInstant.toISOString(),
          interval: query.interval,
          // Buckets are date_trunc'd in this zone (the API's default too).
          timezone: "UTC",
          external_customer_id: query.externalCustomerId,
        })
      ).total,
    // A count aggregation may leave `func` out (`CountAggregation` in the SDK's models).
    meterAggregation: async (meterId) => (await (await sdk()).meters.get(meterId)).aggregation.func ?? "count",
    getSubscription: async (id) => (await sdk()).subscriptions.get(id),
    getProduct: async (id) => (await sdk()).products.get(id),
    customerByExternalId: async (externalId) => (await sdk()).customers.getExternal(externalId),
    createCustomer: async (body) => (await sdk()).customers.create(body),
    createCheckout: async (body) => (await sdk()).checkouts.create(body),
    createCustomerSession: async (externalCustomerId, returnUrl) => (await sdk()).customerSessions.create({ external_customer_id: externalCustomerId, return_url: returnUrl }),
  };
}
