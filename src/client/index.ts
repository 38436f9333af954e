import type { Hub } from "../hub.ts";
import type { CatalogView, PlanView } from "../server/routes/catalog.ts";
import type * as In from "./inputs.ts";
import { createRequest, type ClientOptions } from "./request.ts";
import type { Wire } from "./wire.ts";

export type { Wire } from "./wire.ts";
export type { ClientOptions, Query } from "./request.ts";
export type * from "./inputs.ts";

/** What a hub call answers, as it arrives over HTTP (dates as ISO strings). */
type Answer<F> = F extends (...args: never[]) => Promise<infer R> ? Wire<R> : never;

/**
 * A typed client of billhub's REST API. Each method is one route, named as the hub member behind
 * it (`billing.customers.list` is `hub.customers.list` over HTTP), its input typed from the zod
 * schema the service validates it with and its answer from that hub member; a
 * refusal arrives as the same `BillingError` (code, message, field, details) the hub throws in
 * process, with `status`.
 *
 * @example
 * const billing = createClient({ baseUrl: "http://127.0.0.1:8787", apiKey: process.env.BILLHUB_API_KEY });
 * await billing.usage.record({ customerId: "org_42", meter: "api_calls", quantity: 1, transactionId: "req_9f2" });
 * const { allowed } = await billing.entitlements.check({ customerId: "org_42", feature: "api" });
 */
export function createClient(options: ClientOptions) {
  const request = createRequest(options);
  const id = (value: string) => encodeURIComponent(value);
  const customer = (customerId: string, rest = "") => `/v1/customers/${id(customerId)}${rest}`;

  return {
    /** Any route by method and path, for what has no method here. */
    request,
    customers: {
      /** GET /v1/customers — id order, a page at a time (`cursor: nextCursor`). */
      list: (query: In.CustomerListQuery = {}) => request<Answer<Hub["customers"]["list"]>>("GET", "/v1/customers", { query }),
      /** PUT /v1/customers/:id — create (created: true) or update the fields given. */
      upsert: (customerId: string, fields: In.CustomerFields = {}) => request<Answer<Hub["customers"]["upsert"]>>("PUT", customer(customerId), { body: fields }),
      get: (customerId: string) => request<Answer<Hub["customers"]["get"]>>("GET", customer(customerId)),
      /** POST /v1/customers/:id/plan */
      assign: (customerId: string, body: In.AssignBody) => request<Answer<Hub["customers"]["assign"]>>("POST", customer(customerId, "/plan"), { body }),
      /** DELETE /v1/customers/:id/plan — back to the catalog's default plan. */
      unassign: (customerId: string, query: In.UnassignQuery = {}) => request<Answer<Hub["customers"]["unassign"]>>("DELETE", customer(customerId, "/plan"), { query }),
      /** GET /v1/customers/:id/plan-history — every plan change with the instant it took effect. */
      planHistory: (customerId: string) => request<{ changes: Answer<Hub["customers"]["planHistory"]> }>("GET", customer(customerId, "/plan-history")),
      /** GET /v1/customers/:id/entitlements — every feature's limit now (without usage). */
      entitlements: (customerId: string, query: In.EntitlementsQuery = {}) => request<Answer<Hub["entitlements"]>>("GET", customer(customerId, "/entitlements"), { query }),
      /** PATCH /v1/customers/:id/overrides — limits of this customer's own (null = unlimited). */
      override: (customerId: string, overrides: In.OverridesBody) => request<{ overrides: Answer<Hub["customers"]["override"]> }>("PATCH", customer(customerId, "/overrides"), { body: overrides }),
      /** DELETE /v1/customers/:id/overrides — the features named, or every override. */
      clearOverride: (customerId: string, features?: readonly string[]) =>
        request<{ overrides: Answer<Hub["customers"]["clearOverride"]> }>("DELETE", customer(customerId, "/overrides"), { query: { features: features?.join(",") } }),
      /** POST /v1/customers/:id/adjustments — a limit change for a time, idempotent by its id. */
      adjustLimit: (customerId: string, body: In.LimitAdjustmentBody) => request<Answer<Hub["customers"]["adjustLimit"]>>("POST", customer(customerId, "/adjustments"), { body }),
      endAdjustment: (customerId: string, adjustmentId: string) =>
        request<Answer<Hub["customers"]["endAdjustment"]>>("POST", customer(customerId, `/adjustments/${id(adjustmentId)}/end`)),
      listAdjustments: (customerId: string, query: In.LimitAdjustmentListQuery = {}) =>
        request<{ adjustments: Answer<Hub["customers"]["listAdjustments"]> }>("GET", customer(customerId, "/adjustments"), { query }),
      /** GET /v1/customers/:id/subscriptions — the provider subscriptions webhooks brought in. */
      subscriptions: (customerId: string) => request<{ subscriptions: Answer<Hub["customers"]["subscriptions"]> }>("GET", customer(customerId, "/subscriptions")),
      /** POST /v1/customers/:id/provider-customer — the customer at its provider, created once. */
      createProviderCustomer: (customerId: string, body: In.ProviderCustomerBody = {}) =>
        request<Answer<Hub["customers"]["createProviderCustomer"]>>("POST", customer(customerId, "/provider-customer"), { body }),
      /** POST /v1/customers/:id/checkout — a hosted checkout at the provider. */
      checkout: (customerId: string, body: In.CheckoutBody) => request<Answer<Hub["customers"]["checkout"]>>("POST", customer(customerId, "/checkout"), { body }),
      /** POST /v1/customers/:id/portal — a session of the provider's customer portal. */
      portal: (customerId: string, body: In.PortalBody) => request<Answer<Hub["customers"]["portal"]>>("POST", customer(customerId, "/portal"), { body }),
    },
    usage: {
      /** POST /v1/usage — exactly once by transactionId (status "created", or "duplicate" for a retry). */
      record: (event: In.UsageEventBody) => request<Answer<Hub["record"]>>("POST", "/v1/usage", { body: event }),
      /** POST /v1/usage/batch — all or nothing. */
      recordBatch: (events: In.UsageBatchBody["events"]) => request<{ results: Answer<Hub["recordBatch"]> }>("POST", "/v1/usage/batch", { body: { events } }),
      /** POST /v1/usage/adjustments — a refund or bonus. */
      adjust: (adjustment: In.AdjustmentBody) => request<Answer<Hub["adjust"]>>("POST", "/v1/usage/adjustments", { body: adjustment }),
      /** GET /v1/customers/:id/usage — a meter's or metered feature's aggregate over a window (`filter.<property>` narrows); `hub.usage` in process. */
      get: (customerId: string, query: In.UsageQuery) => request<Answer<Hub["usage"]>>("GET", customer(customerId, "/usage"), { query }),
      /** GET /v1/activity — the hub's recent activity, every customer together. */
      activity: (query: In.ActivityQuery = {}) => request<Answer<Hub["activity"]>>("GET", "/v1/activity", { query }),
    },
    ledger: {
      /** GET /v1/customers/:id/stats — a meter's usage per hour, day, week or month. */
      stats: (customerId: string, query: In.StatsQuery) => request<Answer<Hub["ledger"]["stats"]>>("GET", customer(customerId, "/stats"), { query }),
      /** POST /v1/usage/stats — the same for many customers at once. */
      batchStats: (body: In.BatchStatsBody) => request<{ stats: Answer<Hub["ledger"]["batchStats"]> }>("POST", "/v1/usage/stats", { body }),
      /** GET /v1/customers/:id/events — the ledger for audit, a page at a time. */
      events: (customerId: string, query: In.EventsQuery = {}) => request<Answer<Hub["ledger"]["events"]>>("GET", customer(customerId, "/events"), { query }),
      /** POST /v1/customers/:id/resets — starts a feature's usage window afresh now. */
      reset: (customerId: string, body: In.ResetBody) => request<Answer<Hub["ledger"]["reset"]>>("POST", customer(customerId, "/resets"), { body }),
      resets: (customerId: string, query: In.ResetsQuery = {}) => request<{ resets: Answer<Hub["ledger"]["resets"]> }>("GET", customer(customerId, "/resets"), { query }),
    },
    entitlements: {
      /** POST /v1/entitlements/check — a question: "no" is `allowed: false`, not an error. */
      check: (body: In.CheckBody) => request<Answer<Hub["check"]>>("POST", "/v1/entitlements/check", { body }),
      /** POST /v1/entitlements/consume — a refused use throws (LIMIT_EXCEEDED, ...), the result in `details.result`. */
      consume: (body: In.ConsumeBody) => request<Answer<Hub["consume"]>>("POST", "/v1/entitlements/consume", { body }),
    },
    invoices: {
      /** GET /v1/customers/:id/invoice-preview — nothing is stored. */
      preview: (customerId: string, query: In.InvoicePreviewQuery = {}) => request<Answer<Hub["invoices"]["preview"]>>("GET", customer(customerId, "/invoice-preview"), { query }),
      list: (query: In.InvoiceListQuery = {}) => request<Answer<Hub["invoices"]["list"]>>("GET", "/v1/invoices", { query }),
      get: (invoiceId: string) => request<Answer<Hub["invoices"]["get"]>>("GET", `/v1/invoices/${id(invoiceId)}`),
      /** POST /v1/invoices/run — a write key. */
      run: (body: In.InvoiceRunBody) => request<Answer<Hub["invoices"]["run"]>>("POST", "/v1/invoices/run", { body }),
    },
    credits: {
      /** POST /v1/customers/:id/credits — a grant, idempotent by its id. */
      grant: (customerId: string, body: In.CreditGrantBody) => request<Answer<Hub["credits"]["grant"]>>("POST", customer(customerId, "/credits"), { body }),
      balance: (customerId: string) => request<Answer<Hub["credits"]["balance"]>>("GET", customer(customerId, "/credits")),
      /** GET /v1/customers/:id/credits/history — grants, draws and expiries, oldest first. */
      history: (customerId: string, query: In.CreditHistoryQuery = {}) => request<Answer<Hub["credits"]["history"]>>("GET", customer(customerId, "/credits/history"), { query }),
      expiring: (customerId: string, query: In.CreditExpiringQuery = {}) => request<Answer<Hub["credits"]["expiring"]>>("GET", customer(customerId, "/credits/expiring"), { query }),
      /** POST /v1/customers/:id/credits/:grantId/take-back — what a grant has left, or at most `amount` of it, taken back (a refund), idempotent by reason. */
      takeBack: (customerId: string, grantId: string, body: In.CreditTakeBackBody) => request<Answer<Hub["credits"]["takeBack"]>>("POST", customer(customerId, `/credits/${id(grantId)}/take-back`), { body }),
    },
    catalog: {
      get: () => request<Wire<CatalogView>>("GET", "/v1/catalog"),
      plans: () => request<{ plans: Wire<PlanView>[] }>("GET", "/v1/plans"),
      plan: (key: string) => request<Wire<PlanView>>("GET", `/v1/plans/${id(key)}`),
    },
    prices: {
      /** GET /v1/prices — versions of prices synced from providers (`current: true`: each price's current one). */
      history: (query: In.PricesQuery = {}) => request<{ prices: Answer<Hub["prices"]["history"]> }>("GET", "/v1/prices", { query }),
    },
    webhooks: {
      /** GET /v1/webhook-events — the webhook log, newest first. */
      events: (query: In.WebhookEventsQuery = {}) => request<{ events: Answer<Hub["webhooks"]["events"]> }>("GET", "/v1/webhook-events", { query }),
    },
    outbox: {
      status: () => request<Answer<Hub["outbox"]["status"]>>("GET", "/v1/outbox"),
      list: (query: In.OutboxRowsQuery = {}) => request<Answer<Hub["outbox"]["list"]>>("GET", "/v1/outbox/rows", { query }),
      /** POST /v1/outbox/replay — one row by transactionId, or every dead row (`dead: true`). */
      replay: (body: In.OutboxReplayBody) => request<Answer<Hub["outbox"]["replay"]>>("POST", "/v1/outbox/replay", { body }),
    },
    alerts: {
      /** GET /v1/alerts (`customerId` narrows to one customer). */
      list: (query: In.AlertsQuery = {}) => request<Answer<Hub["alerts"]["list"]>>("GET", "/v1/alerts", { query }),
      /** POST /v1/alerts/replay — one alert's deliveries by eventId, or every dead delivery. */
      replay: (body: In.AlertReplayBody) => request<Answer<Hub["alerts"]["replay"]>>("POST", "/v1/alerts/replay", { body }),
    },
  };
}

export type BillhubClient = ReturnType<typeof createClient>;
