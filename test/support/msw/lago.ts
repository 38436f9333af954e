import { http, HttpResponse, type HttpHandler } from "msw";
import { parseDecimal, sum, toDecimalString } from "../../../src/core/decimal.ts";
import { connectionReset, createFaultQueue, unanswered, type Fault } from "./faults.ts";

/**
 * A stateful stand-in for the Lago API billhub uses, reproducing what Lago documents and what
 * lago-api does (app/services/events/create_service.rb, create_batch_service.rb):
 * - `POST /events` `{ event }` answers 200 `{ event }`; `POST /events/batch` `{ events }` (1–100,
 *   else 422 `no_events` / `too_many_events`) answers 200 `{ events }`.
 * - Errors are `{ status, error, code?, error_details? }`; a validation failure is 422
 *   `code: "validation_errors"`, for a batch with `error_details` keyed by the event's position.
 *   A batch is all or nothing: validation first (missing `code` → `value_is_mandatory`, a bad
 *   timestamp → `invalid_format`), then the saves in one transaction, rolled back on a repeat.
 * - Classic pipeline: `transaction_id` is unique per (organization, external_subscription_id); a
 *   repeat is 422 `error_details: { transaction_id: ["value_already_exist"] }` and stores nothing.
 *   ClickHouse pipeline (`pipeline: "clickhouse"`): a repeat with the same transaction_id and
 *   timestamp replaces the earlier event (docs.getlago.com/guide/events/ingesting-usage).
 * - 401 `{ status: 401, error: "Unauthorized" }`; 429 with `X-RateLimit-Limit|Remaining|Reset`
 *   (docs.getlago.com/api-reference/rate-limits; the body is the stand-in's choice); 5xx.
 * - `GET /subscriptions?external_customer_id=&status[]=` answers `{ subscriptions, meta }`;
 *   `GET /plans/{code}` `{ plan }` or 404.
 * - `GET /customers/{external_customer_id}/current_usage?external_subscription_id=&billable_metric_code=`
 *   answers `{ customer_usage: CustomerUsageObject }` for the subscription's current period, and
 *   `GET /customers/{id}/past_usage?external_subscription_id=&billable_metric_code=&page=&per_page=`
 *   `{ usage_periods: [CustomerUsageObject], meta }` for its invoiced periods (`esm/openapi/client.d.ts`
 *   of lago-javascript-client 1.53): `from_datetime`, `to_datetime` (the period's last second,
 *   23:59:59), `charges_usage[]` with `units` as a decimal string and the charge's `billable_metric`
 *   `{ lago_id, name, code, aggregation_type }`. An unknown customer or subscription is 404 with
 *   `code: "customer_not_found"` / `"subscription_not_found"`, lago-api's `<resource>_not_found`.
 *
 * @example
 * const lago = createLagoStandIn({ baseUrl: "https://lago.test/api/v1" });
 * lago.putSubscription({ externalId: "sub_acme", externalCustomerId: "acme", planCode: "pro" });
 */
export interface LagoStandInOptions {
  /** The API base including `/api/v1`, as the SDK's `baseUrl`. */
  baseUrl?: string;
  /** The only accepted API key; by default any `Bearer ...` is accepted. */
  token?: string;
  pipeline?: "classic" | "clickhouse";
  /** Billable metrics by code: what they aggregate (default `sum_agg` of "quantity"). */
  metrics?: Record<string, { aggregation?: "sum_agg" | "count_agg" | "max_agg" | "unique_count_agg" | "latest_agg" | "weighted_sum_agg"; property?: string }>;
}

export type LagoRoute = "event" | "batch" | "subscriptions" | "plan" | "current_usage" | "past_usage";

export interface LagoHeldEvent {
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  timestamp: string | number;
  properties: Record<string, unknown>;
}

export interface LagoStandInSubscription {
  externalId: string;
  externalCustomerId: string;
  planCode: string;
  status?: "active" | "pending" | "terminated" | "canceled";
  periodStart?: string | null;
  periodEnd?: string | null;
  endingAt?: string | null;
  /** Invoiced billing periods, newest first as Lago lists them: `from` and `to` as `from_datetime` / `to_datetime`. */
  pastPeriods?: { from: string; to: string }[];
  /** The billable metric codes of its plan's charges (one entry per charge); default one charge per metric the stand-in knows. */
  charges?: string[];
}

export function createLagoStandIn(options: LagoStandInOptions = {}) {
  const baseUrl = (options.baseUrl ?? "https://api.getlago.com/api/v1").replace(/\/$/, "");
  const faults = createFaultQueue<LagoRoute>();
  const held = new Map<string, LagoHeldEvent>();
  const subscriptions = new Map<string, LagoStandInSubscription>();
  const plans = new Map<string, { name: string }>();
  const calls: { route: LagoRoute; body: unknown; url: string }[] = [];
  const metrics = options.metrics ?? {};

  /** One period's usage of a subscription, as `CustomerUsageObject`. */
  function periodUsage(subscription: LagoStandInSubscription, period: { from: string; to: string }, code: string | null) {
    const from = Date.parse(period.from);
    const last = Date.parse(period.to);
    const charges = (subscription.charges ?? Object.keys(metrics)).filter((metric) => code === null || metric === code);
    return {
      from_datetime: period.from,
      to_datetime: period.to,
      issuing_date: new Date(last + 1000).toISOString().slice(0, 10),
      lago_invoice_id: null,
      currency: "USD",
      amount_cents: 0,
      taxes_amount_cents: 0,
      total_amount_cents: 0,
      charges_usage: charges.map((metric, index) => {
        const aggregation = metrics[metric]?.aggregation ?? "sum_agg";
        const events = [...held.values()].filter((event) => event.external_subscription_id === subscription.externalId && event.code === metric).filter((event) => {
          const at = Number(event.timestamp) * 1000;
          return at >= from && at < last + 1000;
        });
        const units = aggregation === "count_agg" ? String(events.length) : toDecimalString(sum(events.map((event) => parseDecimal(String(event.properties[metrics[metric]?.property ?? "quantity"] ?? "0")))));
        return {
          units,
          total_aggregated_units: units,
          events_count: events.length,
          amount_cents: 0,
          amount_currency: "USD",
          charge: { lago_id: `charge_${metric}_${index}`, charge_model: "standard", invoice_display_name: null },
          billable_metric: { lago_id: `bm_${metric}`, name: metric, code: metric, aggregation_type: aggregation },
          filters: [],
          grouped_usage: [],
        };
      }),
    };
  }

  /** The customer's subscription the usage request names, or Lago's 404. */
  function usageSubscription(customer: string, url: URL): LagoStandInSubscription | Response {
    if (![...subscriptions.values()].some((s) => s.externalCustomerId === customer)) return fail(404, "Not Found", { code: "customer_not_found" });
    const subscription = subscriptions.get(url.searchParams.get("external_subscription_id") ?? "");
    if (subscription === undefined || subscription.externalCustomerId !== customer) return fail(404, "Not Found", { code: "subscription_not_found" });
    return subscription;
  }

  const fail = (status: number, error: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) => HttpResponse.json({ status, error, ...extra }, { status, headers });
  const validation = (details: Record<string, unknown>) => fail(422, "Unprocessable Entity", { code: "validation_errors", error_details: details });

  function faultResponse(fault: Fault): Response | Promise<Response> {
    switch (fault.kind) {
      case "reset":
        return connectionReset();
      case "rate_limit": {
        const reset = fault.retryAfter ?? "1";
        return fail(429, "Too Many Requests", {}, { "x-ratelimit-limit": "500", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset });
      }
      case "server_error":
        return fail(fault.status ?? 500, "Internal Server Error");
      case "timeout":
        return unanswered(fault.holdMs, fault.release);
      case "response":
        return HttpResponse.json(fault.body as Record<string, unknown>, { status: fault.status, headers: fault.headers ?? {} });
      default:
        throw new Error(`the Lago stand-in does not play ${fault.kind} before processing`);
    }
  }

  function enter(route: LagoRoute, request: Request, body: unknown): Response | Promise<Response> | "after" | undefined {
    calls.push({ route, body, url: request.url });
    const fault = faults.take(route);
    if (fault?.kind === "reset_after_processing" || fault?.kind === "timeout_after_processing") return "after";
    if (fault) return faultResponse(fault);
    const auth = request.headers.get("authorization") ?? "";
    const ok = options.token === undefined ? /^Bearer \S+/.test(auth) : auth === `Bearer ${options.token}`;
    return ok ? undefined : fail(401, "Unauthorized");
  }

  const key = (event: LagoHeldEvent) => `${event.external_subscription_id}\u0000${event.transaction_id}`;

  /** Lago's validation of one event (the model's presence checks and the timestamp's Float()). */
  function problems(event: unknown): Record<string, string[]> | undefined {
    if (typeof event !== "object" || event === null) return { event: ["invalid_format"] };
    const fields = event as Record<string, unknown>;
    const found: Record<string, string[]> = {};
    for (const name of ["transaction_id", "code"]) if (typeof fields[name] !== "string" || fields[name] === "") found[name] = ["value_is_mandatory"];
    if (fields.timestamp !== undefined && !/^\d+(\.\d+)?$/.test(String(fields.timestamp))) found.timestamp = ["invalid_format"];
    return Object.keys(found).length === 0 ? undefined : found;
  }

  /** Stores events (all or nothing); the duplicates' positions when the classic pipeline refuses them. */
  function store(events: LagoHeldEvent[]): number[] {
    if (options.pipeline !== "clickhouse") {
      const seen = new Set<string>();
      const repeats = events.flatMap((event, index) => {
        const repeat = held.has(key(event)) || seen.has(key(event));
        seen.add(key(event));
        return repeat ? [index] : [];
      });
      if (repeats.length > 0) return repeats;
    }
    for (const event of events) {
      const earlier = held.get(key(event));
      // ClickHouse: the same transaction_id and timestamp replace the earlier event; another timestamp is another event.
      if (earlier !== undefined && String(earlier.timestamp) !== String(event.timestamp)) held.set(`${key(event)}\u0000${String(event.timestamp)}`, { ...event, properties: event.properties ?? {} });
      else held.set(key(event), { ...event, properties: event.properties ?? {} });
    }
    return [];
  }

  const eventObject = (event: LagoHeldEvent) => ({ lago_id: crypto.randomUUID(), ...event, lago_customer_id: null, created_at: new Date().toISOString() });

  const handlers: HttpHandler[] = [
    http.post(`${baseUrl}/events`, async ({ request }) => {
      const body: unknown = await request.json().catch(() => undefined);
      const refused = enter("event", request, body);
      if (refused !== undefined && refused !== "after") return refused;
      const event = (body as { event?: unknown } | undefined)?.event;
      const invalid = problems(event);
      if (invalid) return validation(invalid);
      if (store([event as LagoHeldEvent]).length > 0) return validation({ transaction_id: ["value_already_exist"] });
      if (refused === "after") return connectionReset();
      return HttpResponse.json({ event: eventObject(event as LagoHeldEvent) });
    }),
    http.post(`${baseUrl}/events/batch`, async ({ request }) => {
      const body: unknown = await request.json().catch(() => undefined);
      const refused = enter("batch", request, body);
      if (refused !== undefined && refused !== "after") return refused;
      const events = (body as { events?: unknown } | undefined)?.events;
      if (!Array.isArray(events) || events.length === 0) return validation({ events: ["no_events"] });
      if (events.length > 100) return validation({ events: ["too_many_events"] });
      const invalid = Object.fromEntries(events.flatMap((event, index) => (problems(event) ? [[String(index), problems(event)]] : [])));
      if (Object.keys(invalid).length > 0) return validation(invalid);
      const repeats = store(events as LagoHeldEvent[]);
      if (repeats.length > 0) return validation(Object.fromEntries(repeats.map((index) => [String(index), { transaction_id: ["value_already_exist"] }])));
      if (refused === "after") return connectionReset();
      return HttpResponse.json({ events: (events as LagoHeldEvent[]).map(eventObject) });
    }),
    http.get(`${baseUrl}/subscriptions`, ({ request }) => {
      const refused = enter("subscriptions", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const url = new URL(request.url);
      const customer = url.searchParams.get("external_customer_id");
      const statuses = url.searchParams.getAll("status[]");
      const list = [...subscriptions.values()].filter((s) => (customer === null || s.externalCustomerId === customer) && (statuses.length === 0 || statuses.includes(s.status ?? "active"))).map(lagoSubscription);
      return HttpResponse.json({ subscriptions: list, meta: { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: list.length } });
    }),
    http.get(`${baseUrl}/plans/:code`, ({ request, params }) => {
      const refused = enter("plan", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const code = String(params.code);
      const plan = plans.get(code);
      if (plan === undefined) return fail(404, "Not Found", { code: "plan_not_found" });
      return HttpResponse.json({ plan: { lago_id: `plan_${code}`, name: plan.name, code, interval: "monthly", amount_cents: 4900, amount_currency: "USD", created_at: "2026-01-01T00:00:00Z", charges: [] } });
    }),
    http.get(`${baseUrl}/customers/:customer/current_usage`, ({ request, params }) => {
      const refused = enter("current_usage", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const url = new URL(request.url);
      const subscription = usageSubscription(String(params.customer), url);
      if (subscription instanceof Response) return subscription;
      const period = { from: subscription.periodStart ?? "2026-03-01T00:00:00Z", to: subscription.periodEnd ?? "2026-03-31T23:59:59Z" };
      return HttpResponse.json({ customer_usage: periodUsage(subscription, period, url.searchParams.get("billable_metric_code")) });
    }),
    http.get(`${baseUrl}/customers/:customer/past_usage`, ({ request, params }) => {
      const refused = enter("past_usage", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const url = new URL(request.url);
      const subscription = usageSubscription(String(params.customer), url);
      if (subscription instanceof Response) return subscription;
      const page = Number(url.searchParams.get("page") ?? "1");
      const perPage = Number(url.searchParams.get("per_page") ?? "20");
      const all = subscription.pastPeriods ?? [];
      const pages = Math.max(1, Math.ceil(all.length / perPage));
      const usagePeriods = all.slice((page - 1) * perPage, page * perPage).map((period) => periodUsage(subscription, period, url.searchParams.get("billable_metric_code")));
      return HttpResponse.json({ usage_periods: usagePeriods, meta: { current_page: page, next_page: page < pages ? page + 1 : null, prev_page: page > 1 ? page - 1 : null, total_pages: pages, total_count: all.length } });
    }),
  ];

  return {
    handlers,
    inject: faults.inject,
    injectRandom: faults.injectRandom,
    faultsServed: faults.served,
    /** Events Lago holds, in arrival order. */
    events: (): LagoHeldEvent[] => [...held.values()],
    calls: (route?: LagoRoute) => (route ? calls.filter((call) => call.route === route) : [...calls]),
    putSubscription(subscription: LagoStandInSubscription): void {
      subscriptions.set(subscription.externalId, subscription);
    },
    putPlan(code: string, plan: { name: string } | null): void {
      if (plan === null) plans.delete(code);
      else plans.set(code, plan);
    },
    reset(): void {
      held.clear();
      subscriptions.clear();
      plans.clear();
      calls.length = 0;
      faults.clear();
    },
  };
}

/** A stand-in subscription as Lago's `SubscriptionObject` (the fields billhub reads, plus a few around them). */
export function lagoSubscription(subscription: LagoStandInSubscription) {
  return {
    lago_id: `lago_${subscription.externalId}`,
    external_id: subscription.externalId,
    lago_customer_id: `lago_${subscription.externalCustomerId}`,
    external_customer_id: subscription.externalCustomerId,
    billing_time: "calendar",
    name: null,
    plan_code: subscription.planCode,
    status: subscription.status ?? "active",
    created_at: "2026-03-01T00:00:00Z",
    canceled_at: null,
    started_at: "2026-03-01T00:00:00Z",
    ending_at: subscription.endingAt ?? null,
    subscription_at: "2026-03-01T00:00:00Z",
    terminated_at: null,
    previous_plan_code: null,
    next_plan_code: null,
    downgrade_plan_date: null,
    trial_ended_at: null,
    current_billing_period_started_at: subscription.periodStart ?? "2026-03-01T00:00:00Z",
    current_billing_period_ending_at: subscription.periodEnd ?? "2026-03-31T23:59:59Z",
    on_termination_credit_note: "credit",
    on_termination_invoice: "generate",
  };
}

export type LagoStandIn = ReturnType<typeof createLagoStandIn>;
