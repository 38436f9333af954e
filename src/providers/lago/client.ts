import type { Api } from "lago-javascript-client";

export interface LagoClientOptions {
  secretKey: string;
  /** Lago's API base including `/api/v1`; the SDK's default is https://api.getlago.com/api/v1. */
  baseUrl?: string | undefined;
  timeoutMs?: number | undefined;
}

type Lago = Api<unknown>;

// billhub's own shapes of the SDK's objects, the fields it uses: the SDK's declarations name DOM
// types (`Body` in `esm/openapi/client.d.ts`), which a consumer compiling billhub's declarations
// without the DOM library (skipLibCheck off) could not resolve, so they stay out of billhub's.

/** One event as `POST /api/v1/events` and `/events/batch` take it (`EventInputObject`, `esm/openapi/client.d.ts` of lago-javascript-client 1.53). */
export interface LagoEventInput {
  transaction_id: string;
  external_subscription_id: string;
  /** The billable metric's code. */
  code: string;
  /** Unix seconds; decimals are milliseconds. */
  timestamp?: number | string;
  properties?: Record<string, unknown>;
}

/** A subscription as Lago returns it (the fields billhub reads of `SubscriptionObject`). */
export interface LagoSubscription {
  external_id: string;
  external_customer_id: string;
  plan_code: string;
  status: "active" | "canceled" | "incomplete" | "pending" | "terminated";
  ending_at: string | null;
  current_billing_period_started_at: string | null;
  current_billing_period_ending_at: string | null;
}

/** A plan as Lago returns it (the fields billhub reads of `PlanObject`). */
export interface LagoPlan {
  lago_id: string;
  code: string;
  name: string;
  interval: string;
  created_at: string;
}

/** One billing period's usage of a subscription (the fields billhub reads of `CustomerUsageObject`). */
export interface LagoPeriodUsage {
  /** The period's first instant, ISO 8601 UTC. */
  from_datetime: string;
  /** The period's last second, inclusive (`"2022-07-31T23:59:59Z"` in the SDK's example). */
  to_datetime: string;
  charges_usage: {
    /** Exact decimal string (`^[0-9]+.?[0-9]*$`). */
    units: string;
    billable_metric: { code: string; aggregation_type: string };
  }[];
}

/** The statuses the subscription list filters on (`status[]` of GET /api/v1/subscriptions). */
export type LagoSubscriptionStatus = "active" | "canceled" | "pending" | "terminated";

/** The calls billhub makes through the Lago SDK (tests may hand in any object that has them). */
export interface LagoClient {
  /** `lago.events.createBatchEvents({ events })`: POST /api/v1/events/batch, at most 100 events. */
  createBatch(events: LagoEventInput[]): Promise<void>;
  /** `lago.events.createEvent({ event })`: POST /api/v1/events. */
  createOne(event: LagoEventInput): Promise<void>;
  /** `lago.subscriptions.findAllSubscriptions(...)` (GET /api/v1/subscriptions) of one external customer, with those statuses, every page. */
  subscriptionsOf(externalCustomerId: string, statuses: LagoSubscriptionStatus[]): Promise<LagoSubscription[]>;
  /** `lago.plans.findPlan(code)` (GET /api/v1/plans/{code}). */
  plan(code: string): Promise<LagoPlan>;
  /** `lago.customers.findCustomerCurrentUsage(customer, { external_subscription_id, billable_metric_code })`: GET /api/v1/customers/{id}/current_usage. */
  currentUsage(externalCustomerId: string, externalSubscriptionId: string, metricCode: string): Promise<LagoPeriodUsage>;
  /** `lago.customers.findAllCustomerPastUsage(...)` (GET /api/v1/customers/{id}/past_usage), every page. */
  pastUsage(externalCustomerId: string, externalSubscriptionId: string, metricCode: string): Promise<LagoPeriodUsage[]>;
}

/**
 * Builds the Lago client billhub uses. Who retries: the forwarder. The SDK retries only when built
 * with `rateLimitRetry` (429 only, sleeping up to 20 s inside the call, `esm/rate_limit_fetch.js`);
 * billhub leaves it unset, so a 429 comes back at once as the thrown `Response` with its
 * `X-RateLimit-*` headers and the forwarder's limiter and backoff decide. The SDK has no timeout
 * of its own: each call carries an `AbortSignal.timeout`. The SDK is loaded at the first call.
 *
 * @example
 * const client = createLagoClient({ secretKey: process.env.LAGO_API_KEY! });
 * await client.createBatch([{ transaction_id: "tx_1", external_subscription_id: "sub_acme", code: "api_calls", timestamp: "1773144000", properties: { quantity: "3" } }]);
 */
export function createLagoClient(options: LagoClientOptions): LagoClient {
  let client: Promise<Lago> | undefined;
  const sdk = () => (client ??= import("lago-javascript-client").then(({ Client }) => Client(options.secretKey, options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl })));
  const params = () => ({ signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
  return {
    createBatch: async (events) => void (await (await sdk()).events.createBatchEvents({ events }, params())),
    createOne: async (event) => void (await (await sdk()).events.createEvent({ event }, params())),
    subscriptionsOf: async (externalCustomerId, statuses) => {
      const lago = await sdk();
      const subscriptions: LagoSubscription[] = [];
      for (let page: number | null | undefined = 1; page !== null && page !== undefined; ) {
        const answer = await lago.subscriptions.findAllSubscriptions({ external_customer_id: externalCustomerId, "status[]": statuses, page, per_page: 100 }, params());
        subscriptions.push(...answer.data.subscriptions);
        page = answer.data.meta.next_page;
      }
      return subscriptions;
    },
    plan: async (code) => (await (await sdk()).plans.findPlan(code, params())).data.plan,
    currentUsage: async (externalCustomerId, externalSubscriptionId, metricCode) =>
      (await (await sdk()).customers.findCustomerCurrentUsage(externalCustomerId, { external_subscription_id: externalSubscriptionId, billable_metric_code: metricCode }, params())).data.customer_usage,
    pastUsage: async (externalCustomerId, externalSubscriptionId, metricCode) => {
      const lago = await sdk();
      const periods: LagoPeriodUsage[] = [];
      for (let page: number | null | undefined = 1; page !== null && page !== undefined; ) {
        const answer = await lago.customers.findAllCustomerPastUsage(externalCustomerId, { external_subscription_id: externalSubscriptionId, billable_metric_code: metricCode, page, per_page: 100 }, params());
        periods.push(...answer.data.usage_periods);
        page = answer.data.meta.next_page;
      }
      return periods;
    },
  };
}
