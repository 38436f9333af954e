import { http, HttpResponse, type HttpHandler } from "msw";
import { connectionReset, createFaultQueue, unanswered, type Fault } from "./faults.ts";

/**
 * A stateful stand-in for the Orb API billhub uses, reproducing what Orb documents (the
 * `events.ingest` docblock of orb-billing 6.11, `resources/events/events.d.ts`, and
 * docs.withorb.com/api-reference/error-responses):
 * - `POST /ingest` `{ events: [...] }` answers 200 `{ validation_failed: [] }`; an
 *   `idempotency_key` is "successfully ingested at most once" (a repeat is accepted and ignored);
 *   exactly one of `customer_id` / `external_customer_id`; a timestamp more than 5 minutes ahead,
 *   or older than the account's grace period, is a validation error; "duplicate idempotency keys
 *   and differing event bodies in a batch" reject the batch. A 4xx ingests nothing of the request
 *   ("the failed keys stay reusable"); its body is Orb's RFC 7807 problem
 *   `{ type, status, title, detail, validation_errors }` with type `…#400-request-validation-errors`.
 *   The wording of each validation error is the stand-in's (Orb's is not published).
 * - 401 `…#401-authentication-error`, 429 `…#429-too-many-requests` (its Retry-After is the
 *   stand-in's choice: Orb documents no header; the SDK reads `retry-after(-ms)`), 500
 *   `…#500-internal-server-error`.
 * - `GET /subscriptions?external_customer_id[]=...` answers `{ data: [Subscription], pagination_metadata: { has_more, next_cursor } }`;
 *   an external id Orb does not know is a filter that matches nothing: an empty page (Orb documents
 *   no 404 for a list filter).
 * - `GET /subscriptions/{id}/usage?timeframe_start&timeframe_end` answers `{ data: [{ billable_metric: { id, name },
 *   usage: [{ quantity, timeframe_start, timeframe_end }], view_mode }] }`, one entry per metric on the
 *   subscription's plan, quantity over [start, end) of the subscription's customer's events (the
 *   `fetchUsage` docblock, `resources/subscriptions.d.ts`); 404 `…#404-resource-not-found` for an unknown id.
 * - `GET /metrics/{id}` answers the `BillableMetric` (`id, name, description, item, metadata, sql, status`), 404 for an unknown id.
 *
 * @example
 * const orb = createOrbStandIn({ baseUrl: "https://orb.test/v1", gracePeriodHours: 12 });
 * const server = setupServer(...orb.handlers);
 */
export interface OrbStandInOptions {
  /** The API base including `/v1`, as the SDK's `baseURL`. */
  baseUrl?: string;
  /** The only accepted API key; by default any `Bearer ...` is accepted. */
  token?: string;
  /** The account's grace period for late events (Orb's setting), in hours. */
  gracePeriodHours?: number;
  /** Billable metrics by id: the event name they select and the property they sum (default "quantity"). */
  metrics?: Record<string, { eventName: string; property?: string; name?: string; sql?: string }>;
  now?: () => Date;
}

export type OrbRoute = "ingest" | "subscriptions" | "subscription_usage" | "metric";

export interface OrbHeldEvent {
  idempotency_key: string;
  event_name: string;
  external_customer_id?: string;
  customer_id?: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

/** A subscription as the stand-in serves it: the fields billhub reads, shaped as Orb's `Subscription`. */
export interface OrbStandInSubscription {
  id: string;
  externalCustomerId: string;
  status: "active" | "ended" | "upcoming";
  plan: { id: string; external_plan_id: string | null; name?: string; metadata?: Record<string, string> } | null;
  periodStart?: string | null;
  periodEnd?: string | null;
  /** Default 2026-03-01T00:00:00Z. */
  startDate?: string;
  endDate?: string | null;
  /** The billable metrics on its plan (by id), which its usage reports; default every metric the stand-in knows. */
  metricIds?: string[];
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const PROBLEM = "https://docs.withorb.com/reference/error-responses";

export function createOrbStandIn(options: OrbStandInOptions = {}) {
  const baseUrl = (options.baseUrl ?? "https://api.withorb.com/v1").replace(/\/$/, "");
  const now = options.now ?? (() => new Date());
  const faults = createFaultQueue<OrbRoute>();
  const held = new Map<string, OrbHeldEvent>();
  const subscriptions = new Map<string, OrbStandInSubscription>();
  const metrics = options.metrics ?? {};
  const calls: { route: OrbRoute; body: unknown; headers: Headers; url: string }[] = [];

  const problem = (status: number, slug: string, title: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    HttpResponse.json({ type: `${PROBLEM}#${slug}`, status, title, detail: null, ...extra }, { status, headers });

  function faultResponse(fault: Fault): Response | Promise<Response> {
    switch (fault.kind) {
      case "reset":
        return connectionReset();
      case "rate_limit":
        return problem(429, "429-too-many-requests", "Too many requests", {}, fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter });
      case "server_error":
        return problem(fault.status ?? 500, "500-internal-server-error", "Internal server error");
      case "timeout":
        return unanswered(fault.holdMs, fault.release);
      case "response":
        return HttpResponse.json(fault.body as Record<string, unknown>, { status: fault.status, headers: fault.headers ?? {} });
      default:
        throw new Error(`the Orb stand-in does not play ${fault.kind} before processing`);
    }
  }

  /** The validation errors of one event, if any. */
  function problems(event: unknown, index: number): string[] {
    if (typeof event !== "object" || event === null) return [`events[${index}] must be an object`];
    const fields = event as Record<string, unknown>;
    const found: string[] = [];
    for (const name of ["event_name", "idempotency_key", "timestamp"]) {
      if (typeof fields[name] !== "string" || fields[name] === "") found.push(`events[${index}].${name} is required`);
    }
    const customers = ["customer_id", "external_customer_id"].filter((name) => typeof fields[name] === "string" && fields[name] !== "");
    if (customers.length !== 1) found.push(`events[${index}]: exactly one of customer_id and external_customer_id should be specified`);
    if (typeof fields.properties !== "object" || fields.properties === null) found.push(`events[${index}].properties must be an object`);
    const timestamp = fields.timestamp;
    if (typeof timestamp === "string") {
      const at = Date.parse(timestamp.endsWith("Z") || /[+-]\d{2}:\d{2}$/.test(timestamp) ? timestamp : `${timestamp}Z`);
      if (!ISO.test(timestamp) || Number.isNaN(at)) found.push(`events[${index}].timestamp must be an ISO 8601 timestamp`);
      else if (at - now().getTime() > 5 * 60_000) found.push(`events[${index}].timestamp is more than 5 minutes in the future`);
      else if (options.gracePeriodHours !== undefined && now().getTime() - at > options.gracePeriodHours * 3_600_000) {
        found.push(`events[${index}].timestamp is older than the account's grace period of ${options.gracePeriodHours} hours; use a backfill`);
      }
    }
    return found;
  }

  function enter(route: OrbRoute, request: Request, body: unknown): Response | Promise<Response> | "after" | undefined {
    calls.push({ route, body, headers: new Headers(request.headers), url: request.url });
    const fault = faults.take(route);
    if (fault?.kind === "reset_after_processing" || fault?.kind === "timeout_after_processing") return "after";
    if (fault) return faultResponse(fault);
    const auth = request.headers.get("authorization") ?? "";
    const ok = options.token === undefined ? /^Bearer \S+/.test(auth) : auth === `Bearer ${options.token}`;
    return ok ? undefined : problem(401, "401-authentication-error", "Authentication error", { detail: "The API key is invalid" });
  }

  const handlers: HttpHandler[] = [
    http.post(`${baseUrl}/ingest`, async ({ request }) => {
      const body: unknown = await request.json().catch(() => undefined);
      const refused = enter("ingest", request, body);
      if (refused !== undefined && refused !== "after") return refused;
      const events = typeof body === "object" && body !== null ? (body as { events?: unknown }).events : undefined;
      if (!Array.isArray(events)) return problem(400, "400-request-validation-errors", "Request validation errors", { validation_errors: ["events is required"] });
      const errors = events.flatMap((event, index) => problems(event, index));
      const inBatch = new Map<string, string>();
      for (const event of events as OrbHeldEvent[]) {
        const text = JSON.stringify(event);
        if (inBatch.has(event.idempotency_key) && inBatch.get(event.idempotency_key) !== text) errors.push(`idempotency_key ${event.idempotency_key} appears twice in the batch with different bodies`);
        inBatch.set(event.idempotency_key, text);
      }
      if (errors.length > 0) return problem(400, "400-request-validation-errors", "Request validation errors", { validation_errors: errors });
      for (const event of events as OrbHeldEvent[]) if (!held.has(event.idempotency_key)) held.set(event.idempotency_key, event);
      if (refused === "after") return connectionReset();
      return HttpResponse.json({ validation_failed: [] });
    }),
    http.get(`${baseUrl}/subscriptions`, ({ request }) => {
      const refused = enter("subscriptions", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const url = new URL(request.url);
      const wanted = new Set([...url.searchParams.getAll("external_customer_id[]"), ...url.searchParams.getAll("external_customer_id")]);
      const data = [...subscriptions.values()].filter((subscription) => wanted.size === 0 || wanted.has(subscription.externalCustomerId)).map(orbSubscription);
      return HttpResponse.json({ data, pagination_metadata: { has_more: false, next_cursor: null } });
    }),
    http.get(`${baseUrl}/subscriptions/:id/usage`, ({ request, params }) => {
      const refused = enter("subscription_usage", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const subscription = subscriptions.get(String(params.id));
      if (subscription === undefined) return problem(404, "404-resource-not-found", "Resource not found", { detail: `Subscription ${String(params.id)} not found` });
      const url = new URL(request.url);
      const start = url.searchParams.get("timeframe_start");
      const end = url.searchParams.get("timeframe_end");
      if ((start === null) !== (end === null)) return problem(400, "400-request-validation-errors", "Request validation errors", { validation_errors: ["Both timeframe_start and timeframe_end must be specified if either is specified"] });
      const from = Date.parse(start ?? subscription.periodStart ?? "2026-03-01T00:00:00Z");
      const to = Date.parse(end ?? subscription.periodEnd ?? "2026-04-01T00:00:00Z");
      const ids = subscription.metricIds ?? Object.keys(metrics);
      const data = ids.map((id) => {
        const metric = metrics[id]!;
        const quantity = [...held.values()]
          .filter((event) => (event.external_customer_id ?? event.customer_id) === subscription.externalCustomerId && event.event_name === metric.eventName)
          .filter((event) => Date.parse(event.timestamp) >= from && Date.parse(event.timestamp) < to)
          .reduce((total, event) => total + Number(event.properties[metric.property ?? "quantity"] ?? 0), 0);
        return { billable_metric: { id, name: metric.name ?? id }, usage: [{ quantity, timeframe_start: new Date(from).toISOString(), timeframe_end: new Date(to).toISOString() }], view_mode: url.searchParams.get("view_mode") ?? "cumulative" };
      });
      return HttpResponse.json({ data });
    }),
    http.get(`${baseUrl}/metrics/:id`, ({ request, params }) => {
      const refused = enter("metric", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const id = String(params.id);
      const metric = metrics[id];
      if (metric === undefined) return problem(404, "404-resource-not-found", "Resource not found", { detail: `Billable metric ${id} not found` });
      return HttpResponse.json({
        id,
        name: metric.name ?? id,
        description: null,
        item: { id: `item_${id}`, name: metric.name ?? id, created_at: "2026-01-01T00:00:00+00:00", external_connections: [], metadata: {} },
        metadata: {},
        sql: metric.sql ?? `SELECT sum(${metric.property ?? "quantity"}) FROM events WHERE event_name = '${metric.eventName}'`,
        status: "active",
      });
    }),
  ];

  return {
    handlers,
    inject: faults.inject,
    injectRandom: faults.injectRandom,
    faultsServed: faults.served,
    /** Events Orb holds (repeats ignored), in arrival order. */
    events: (): OrbHeldEvent[] => [...held.values()],
    /** Requests received, with their parsed bodies and headers. */
    calls: (route?: OrbRoute) => (route ? calls.filter((call) => call.route === route) : [...calls]),
    /** Adds or replaces a subscription Orb holds. */
    putSubscription(subscription: OrbStandInSubscription): void {
      subscriptions.set(subscription.id, subscription);
    },
    reset(): void {
      held.clear();
      subscriptions.clear();
      calls.length = 0;
      faults.clear();
    },
  };
}

/** A stand-in subscription as Orb's `Subscription` object (the fields billhub reads, plus a few around them). */
export function orbSubscription(subscription: OrbStandInSubscription) {
  return {
    id: subscription.id,
    name: subscription.plan?.name ?? "Subscription",
    status: subscription.status,
    created_at: "2026-03-01T00:00:00+00:00",
    start_date: subscription.startDate ?? "2026-03-01T00:00:00+00:00",
    end_date: subscription.endDate ?? null,
    current_billing_period_start_date: subscription.periodStart ?? "2026-03-01T00:00:00+00:00",
    current_billing_period_end_date: subscription.periodEnd ?? "2026-04-01T00:00:00+00:00",
    customer: { id: `cus_${subscription.externalCustomerId}`, external_customer_id: subscription.externalCustomerId, name: subscription.externalCustomerId, metadata: {} },
    plan:
      subscription.plan === null
        ? null
        : { id: subscription.plan.id, external_plan_id: subscription.plan.external_plan_id, name: subscription.plan.name ?? subscription.plan.id, metadata: subscription.plan.metadata ?? {}, currency: "USD", prices: [] },
    metadata: {},
  };
}

export type OrbStandIn = ReturnType<typeof createOrbStandIn>;
