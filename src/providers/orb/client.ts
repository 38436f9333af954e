import type Orb from "orb-billing";

export interface OrbClientOptions {
  secretKey: string;
  /** Orb's API base; without it the SDK uses ORB_BASE_URL, else https://api.withorb.com/v1. */
  baseUrl?: string | undefined;
  timeoutMs?: number | undefined;
}

/** One event as `POST /v1/ingest` takes it (`resources/events/events.d.ts` of orb-billing 6.11). */
export type OrbIngestEvent = Parameters<Orb["events"]["ingest"]>[0]["events"][number];
export type OrbIngestResponse = Awaited<ReturnType<Orb["events"]["ingest"]>>;
/** A subscription as Orb returns it (`resources/subscriptions.d.ts`). */
export type OrbSubscription = Awaited<ReturnType<Orb["subscriptions"]["fetch"]>>;
/** A subscription's usage per billable metric (`SubscriptionUsage`, `resources/subscriptions.d.ts`). */
export type OrbSubscriptionUsage = Awaited<ReturnType<Orb["subscriptions"]["fetchUsage"]>>;
/** A billable metric (`BillableMetric`, `resources/metrics.d.ts`). */
export type OrbBillableMetric = Awaited<ReturnType<Orb["metrics"]["fetch"]>>;

/** The calls billhub makes through the Orb SDK (tests may hand in any object that has them). */
export interface OrbClient {
  /** `client.events.ingest({ events })`: POST /v1/ingest. */
  ingest(events: OrbIngestEvent[]): Promise<OrbIngestResponse>;
  /** `client.subscriptions.list({ external_customer_id: [id] })` (GET /v1/subscriptions), every page. */
  subscriptionsOf(externalCustomerId: string): Promise<OrbSubscription[]>;
  /**
   * `client.subscriptions.fetchUsage(id, { timeframe_start, timeframe_end, view_mode: "periodic" })`:
   * GET /v1/subscriptions/{id}/usage. Periodic, because the default (cumulative) counts "since the
   * start of the billing period" (`SubscriptionFetchUsageParams.view_mode`), not from timeframe_start.
   */
  subscriptionUsage(subscriptionId: string, window: { from: Date; to: Date }): Promise<OrbSubscriptionUsage>;
  /** `client.metrics.fetch(id)`: GET /v1/metrics/{id}. */
  billableMetric(metricId: string): Promise<OrbBillableMetric>;
}

/**
 * Builds the Orb client billhub uses. Who retries: the forwarder, not the SDK. The SDK would
 * retry 408/409/429/5xx and dropped connections twice (`client.js` `shouldRetry`), each attempt
 * under the same `Idempotency-Key: stainless-node-retry-<uuid>` it makes up per call; stacked
 * under the forwarder's retries that is up to three requests per claim, invisible to the
 * forwarder's backoff and to the limiter's 429 pacing. So `maxRetries: 0`: each call is one
 * request, its Idempotency-Key is used once, and what keeps a resend from counting twice is each
 * event's own `idempotency_key` (billhub's transactionId), which Orb ingests "at most once"
 * whatever request carries it. The SDK is loaded at the first call, so a process configured with
 * Orb but never calling it does not carry it.
 *
 * @example
 * const client = createOrbClient({ secretKey: process.env.ORB_API_KEY! });
 * await client.ingest([{ event_name: "api_call", idempotency_key: "tx_1", external_customer_id: "acme", timestamp: "2026-03-10T12:00:00Z", properties: { quantity: 3 } }]);
 */
export function createOrbClient(options: OrbClientOptions): OrbClient {
  let client: Promise<Orb> | undefined;
  const sdk = () =>
    (client ??= import("orb-billing").then(
      ({ default: Orb }) =>
        new Orb({
          apiKey: options.secretKey,
          maxRetries: 0,
          ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
          ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }),
        }),
    ));
  return {
    ingest: async (events) => (await sdk()).events.ingest({ events }),
    subscriptionsOf: async (externalCustomerId) => {
      const subscriptions: OrbSubscription[] = [];
      for await (const subscription of (await sdk()).subscriptions.list({ external_customer_id: [externalCustomerId], limit: 100 })) subscriptions.push(subscription);
      return subscriptions;
    },
    subscriptionUsage: async (subscriptionId, window) =>
      (await sdk()).subscriptions.fetchUsage(subscriptionId, { timeframe_start: window.from.toISOString(), timeframe_end: window.to.toISOString(), view_mode: "periodic" }),
    billableMetric: async (metricId) => (await sdk()).metrics.fetch(metricId),
  };
}
