import { http, HttpResponse, type HttpHandler } from "msw";
import { connectionReset, createFaultQueue, unanswered, type Fault } from "./faults.ts";

/**
 * A stateful stand-in for the Polar API (version 2026-10) billhub uses, reproducing what Polar
 * documents:
 * - `POST /v1/events/ingest` takes `{ events: [{ name, external_customer_id | customer_id,
 *   external_id?, timestamp?, metadata? }] }` and answers 200 `{ inserted, duplicates }`: an event
 *   whose `external_id` Polar already holds is skipped and counted in `duplicates`, not an error
 *   (`EventsIngestResponse` in the SDK's models). A malformed event refuses the request with 422,
 *   FastAPI's `{ detail: [{ loc, msg, type }] }` (`HTTPValidationError`).
 * - 401 for a bad token; 429 with `Retry-After` (docs.polar.sh/api-reference/rate-limits); 5xx.
 *   The error bodies' wording is the stand-in's: the SDK reads only their status (and, for 422 and
 *   404, the JSON body).
 * - `GET /v1/meters/{id}` answers the meter (`aggregation: { func, property }`); `GET
 *   /v1/meters/{id}/quantities?start_timestamp&end_timestamp&interval&external_customer_id` answers
 *   `{ quantities: [{ timestamp, quantity }], total }` (`MeterQuantities`) as Polar's server computes
 *   it (`MeterService.get_quantities`, polarsource/polar `server/polar/meter/service.py`): a series
 *   from start_timestamp through end_timestamp inclusive, each point counting the whole
 *   `date_trunc(interval)` bucket it falls in (UTC), the meter's function per bucket over the numeric
 *   metadata property, the total summing count and sum buckets and taking max/min over the others.
 *   The query is validated as Polar does (422: naive datetimes, before 2023-01-01, a span past
 *   `MAX_INTERVAL_DAYS`).
 * - `GET /v1/subscriptions/{id}` and `GET /v1/products/{id}` answer what the test put there, 404
 *   `ResourceNotFound` otherwise.
 * - `GET /v1/customers/external/{external_id}` answers the `Customer` or 404; `POST /v1/customers/`
 *   (`CustomerIndividualCreate`) requires `email`; `email` and `external_id` are "unique within the
 *   organization": a repeat is 422 with a `value_error` at `body.email` / `body.external_id` (the
 *   messages are the stand-in's wording after Polar's server, which publishes none).
 * - `POST /v1/checkouts/` (`CheckoutCreate`) answers 201 `Checkout` (`id`, `url`, `client_secret`,
 *   `status: "open"`, `expires_at`, `success_url`, `return_url`, `metadata`, `external_customer_id`,
 *   `products`); a product id it does not hold, or an archived one, is 422 at `body.products.<i>`.
 * - `POST /v1/customer-sessions/` (`CustomerSessionCustomerExternalIDCreate`) answers 201
 *   `CustomerSession` (`id`, `token`, `expires_at`, `return_url`, `customer_portal_url`,
 *   `customer_id`, `customer`); an external id no customer has is 422 at `body.external_customer_id`.
 *
 * @example
 * const polar = createPolarStandIn({ meters: { "meter-api": { eventName: "api_call" } } });
 * const server = setupServer(...polar.handlers);
 */
export interface PolarStandInOptions {
  baseUrl?: string;
  /** The only accepted bearer token; by default any `Bearer ...` is accepted. */
  token?: string;
  /** Meters by id: the event name they filter on and the metadata property they sum (default "quantity"). */
  meters?: Record<string, { eventName: string; property?: string; func?: "sum" | "count" | "max" | "min" | "avg" | "unique" }>;
}

export type PolarRoute = "ingest" | "meter" | "quantities" | "subscription" | "product" | "customer_external" | "create_customer" | "checkout" | "customer_session";

/** A customer as the stand-in holds it (the fields of Polar's `Customer` billhub's requests touch). */
export interface PolarStandInCustomer {
  id: string;
  email: string;
  name: string | null;
  external_id: string | null;
  metadata: Record<string, unknown>;
}

export interface HeldPolarEvent {
  name: string;
  external_customer_id?: string;
  customer_id?: string;
  external_id?: string;
  timestamp?: string;
  metadata?: Record<string, unknown>;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

type TimeInterval = "year" | "month" | "week" | "day" | "hour";
const INTERVALS: readonly TimeInterval[] = ["year", "month", "week", "day", "hour"];
/** `MAX_INTERVAL_DAYS` (server/polar/kit/time_queries.py). */
const MAX_INTERVAL_DAYS: Record<TimeInterval, number> = { hour: 7, day: 366, week: 7 * 53, month: 365 * 4, year: 365 * 10 };
const DAY = 86_400_000;

/** Postgres `date_trunc(interval, t)` in UTC. */
function truncate(at: number, interval: TimeInterval): number {
  const d = new Date(at);
  switch (interval) {
    case "hour":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
    case "day":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case "week":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
    case "month":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case "year":
      return Date.UTC(d.getUTCFullYear(), 0, 1);
  }
}

/** `t + '1 <interval>'::interval` in UTC. */
function step(at: number, interval: TimeInterval): number {
  const d = new Date(at);
  if (interval === "month") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
  if (interval === "year") return Date.UTC(d.getUTCFullYear() + 1, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
  return at + (interval === "hour" ? DAY / 24 : interval === "day" ? DAY : 7 * DAY);
}

/**
 * The quantities query as Polar validates it (server/polar/meter/endpoints.py): aware datetimes,
 * start at or after 2023-01-01, an interval, a span `is_under_limits` allows (end's date minus
 * start's date at most MAX_INTERVAL_DAYS); or FastAPI's 422 issues. The stand-in answers in UTC only.
 */
function quantitiesQuery(params: URLSearchParams): { start: number; end: number; interval: TimeInterval } | { loc: string[]; msg: string; type: string }[] {
  const issues: { loc: string[]; msg: string; type: string }[] = [];
  const aware = (name: string) => {
    const text = params.get(name);
    if (text === null) issues.push({ loc: ["query", name], msg: "Field required", type: "missing" });
    else if (!ISO.test(text)) issues.push({ loc: ["query", name], msg: "Input should have timezone info", type: "timezone_aware" });
    return text === null ? Number.NaN : Date.parse(text);
  };
  const start = aware("start_timestamp");
  const end = aware("end_timestamp");
  const interval = params.get("interval") as TimeInterval | null;
  if (interval === null) issues.push({ loc: ["query", "interval"], msg: "Field required", type: "missing" });
  else if (!INTERVALS.includes(interval)) issues.push({ loc: ["query", "interval"], msg: "Input should be 'year', 'month', 'week', 'day' or 'hour'", type: "enum" });
  if ((params.get("timezone") ?? "UTC") !== "UTC") issues.push({ loc: ["query", "timezone"], msg: "the stand-in answers in UTC only", type: "value_error" });
  if (start < Date.UTC(2023, 0, 1)) issues.push({ loc: ["query", "start_timestamp"], msg: "Input should be greater than or equal to 2023-01-01T00:00:00", type: "greater_than_equal" });
  if (issues.length > 0 || interval === null) return issues;
  const days = Math.floor(end / DAY) - Math.floor(start / DAY);
  if (start > end || days > MAX_INTERVAL_DAYS[interval]) {
    return [{ loc: ["query"], msg: "The interval is too small for the given date range. Use a larger interval or reduce the date range.", type: "value_error" }];
  }
  return { start, end, interval };
}

export function createPolarStandIn(options: PolarStandInOptions = {}) {
  const baseUrl = (options.baseUrl ?? "https://api.polar.sh").replace(/\/$/, "");
  const meters = options.meters ?? {};
  const faults = createFaultQueue<PolarRoute>();
  const held = new Map<string, HeldPolarEvent>();
  const withoutId: HeldPolarEvent[] = [];
  const subscriptions = new Map<string, unknown>();
  const products = new Map<string, unknown>();
  const customers = new Map<string, PolarStandInCustomer>();
  const checkouts: Record<string, unknown>[] = [];
  const customerSessions: Record<string, unknown>[] = [];
  const invalid = (loc: (string | number)[], msg: string, input: unknown) => HttpResponse.json({ detail: [{ loc, msg, type: "value_error", input }] }, { status: 422 });
  const customerObject = (customer: PolarStandInCustomer) => ({
    ...customer,
    created_at: "2026-03-01T00:00:00Z",
    modified_at: null,
    email_verified: false,
    billing_address: null,
    tax_id: null,
    organization_id: "org_standin",
    deleted_at: null,
    avatar_url: null,
    type: "individual",
  });
  const calls: { route: PolarRoute; body: unknown; url: string; headers: Headers }[] = [];

  const error = (status: number, name: string, detail: string, headers: Record<string, string> = {}) => HttpResponse.json({ error: name, detail }, { status, headers });

  function faultResponse(fault: Fault): Response | Promise<Response> {
    switch (fault.kind) {
      case "reset":
        return connectionReset();
      case "rate_limit":
        return error(429, "TooManyRequests", "Rate limit exceeded", fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter });
      case "server_error":
        return new HttpResponse("Internal Server Error", { status: fault.status ?? 500, headers: { "content-type": "text/plain" } });
      case "timeout":
        return unanswered(fault.holdMs, fault.release);
      case "response":
        return HttpResponse.json(fault.body as Record<string, unknown>, { status: fault.status, headers: fault.headers ?? {} });
      default:
        throw new Error(`the Polar stand-in does not play ${fault.kind} before processing`);
    }
  }

  function enter(route: PolarRoute, request: Request, body: unknown): Response | Promise<Response> | "after" | undefined {
    calls.push({ route, body, url: request.url, headers: request.headers });
    const fault = faults.take(route);
    if (fault?.kind === "reset_after_processing" || fault?.kind === "timeout_after_processing") return "after";
    if (fault) return faultResponse(fault);
    const auth = request.headers.get("authorization") ?? "";
    const ok = options.token === undefined ? /^Bearer \S+/.test(auth) : auth === `Bearer ${options.token}`;
    return ok ? undefined : error(401, "Unauthorized", "Unauthorized");
  }

  /** FastAPI-style issues for one event, if it is malformed. */
  function issues(event: unknown, index: number): { loc: (string | number)[]; msg: string; type: string }[] {
    const at = (field: string) => ["body", "events", index, field];
    if (typeof event !== "object" || event === null || Array.isArray(event)) return [{ loc: ["body", "events", index], msg: "Input should be a valid dictionary", type: "dict_type" }];
    const fields = event as Record<string, unknown>;
    const found = [];
    if (typeof fields.name !== "string" || fields.name === "") found.push({ loc: at("name"), msg: "Field required", type: "missing" });
    const customers = ["customer_id", "external_customer_id"].filter((key) => fields[key] !== undefined && fields[key] !== null);
    if (customers.length !== 1 || typeof fields[customers[0]!] !== "string" || fields[customers[0]!] === "") found.push({ loc: at("external_customer_id"), msg: "Field required", type: "missing" });
    if (fields.timestamp !== undefined && (typeof fields.timestamp !== "string" || !ISO.test(fields.timestamp))) found.push({ loc: at("timestamp"), msg: "Input should be a valid datetime", type: "datetime_parsing" });
    if (fields.metadata !== undefined && (typeof fields.metadata !== "object" || fields.metadata === null || Array.isArray(fields.metadata))) found.push({ loc: at("metadata"), msg: "Input should be a valid dictionary", type: "dict_type" });
    return found;
  }

  const allEvents = () => [...held.values(), ...withoutId];

  const handlers: HttpHandler[] = [
    http.post(`${baseUrl}/v1/events/ingest`, async ({ request }) => {
      const body: unknown = await request.json().catch(() => undefined);
      const refused = enter("ingest", request, body);
      if (refused !== undefined && refused !== "after") return refused;
      const events = (body as { events?: unknown } | undefined)?.events;
      if (!Array.isArray(events)) return HttpResponse.json({ detail: [{ loc: ["body", "events"], msg: "Field required", type: "missing" }] }, { status: 422 });
      const detail = events.flatMap((event, index) => issues(event, index));
      if (detail.length > 0) return HttpResponse.json({ detail }, { status: 422 });
      let inserted = 0;
      let duplicates = 0;
      for (const event of events as HeldPolarEvent[]) {
        if (event.external_id === undefined || event.external_id === null) {
          withoutId.push(event);
          inserted += 1;
        } else if (held.has(event.external_id)) {
          duplicates += 1;
        } else {
          held.set(event.external_id, event);
          inserted += 1;
        }
      }
      if (refused === "after") return connectionReset();
      return HttpResponse.json({ inserted, duplicates });
    }),
    http.get(`${baseUrl}/v1/meters/:id`, ({ request, params }) => {
      const refused = enter("meter", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const id = String(params.id);
      const meter = meters[id];
      if (meter === undefined) return error(404, "ResourceNotFound", "Not found");
      const func = meter.func ?? "sum";
      return HttpResponse.json({
        id,
        name: id,
        filter: { conjunction: "and", clauses: [{ property: "name", operator: "eq", value: meter.eventName }] },
        aggregation: func === "count" ? { func } : { func, property: meter.property ?? "quantity" },
        created_at: "2026-01-01T00:00:00Z",
        modified_at: null,
        metadata: {},
      });
    }),
    http.get(`${baseUrl}/v1/meters/:id/quantities`, ({ request, params }) => {
      const refused = enter("quantities", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const meter = meters[String(params.id)];
      if (meter === undefined) return error(404, "ResourceNotFound", "Not found");
      const url = new URL(request.url);
      const query = quantitiesQuery(url.searchParams);
      if (!("interval" in query)) return HttpResponse.json({ detail: query }, { status: 422 });
      const customers = url.searchParams.getAll("external_customer_id");
      const func = meter.func ?? "sum";
      const matching = allEvents().filter((event) => event.name === meter.eventName && (customers.length === 0 || customers.includes(event.external_customer_id ?? "")));
      // Per bucket (date_trunc of the event's timestamp), the meter's function over its events; sum
      // reads only numeric metadata.
      const buckets = new Map<number, number[]>();
      for (const event of matching) {
        const value = event.metadata?.[meter.property ?? "quantity"];
        if (func !== "count" && typeof value !== "number") continue;
        const bucket = truncate(Date.parse(event.timestamp ?? ""), query.interval);
        buckets.set(bucket, [...(buckets.get(bucket) ?? []), typeof value === "number" ? value : 0]);
      }
      const ofBucket = (values: number[] | undefined): number | null => {
        if (values === undefined || values.length === 0) return null;
        if (func === "count") return values.length;
        if (func === "max") return Math.max(...values);
        if (func === "min") return Math.min(...values);
        return values.reduce((a, b) => a + b, 0);
      };
      // The series runs from start_timestamp through end_timestamp inclusive; the running total sums
      // count and sum buckets and takes max/min over the others.
      const quantities: { timestamp: string; quantity: number }[] = [];
      let total: number | null = null;
      for (let at = query.start; at <= query.end; at = step(at, query.interval)) {
        const quantity = ofBucket(buckets.get(truncate(at, query.interval)));
        quantities.push({ timestamp: new Date(at).toISOString(), quantity: quantity ?? 0 });
        if (quantity !== null) total = total === null ? quantity : func === "max" ? Math.max(total, quantity) : func === "min" ? Math.min(total, quantity) : total + quantity;
      }
      return HttpResponse.json({ quantities, total: total ?? 0 });
    }),
    http.get(`${baseUrl}/v1/subscriptions/:id`, ({ request, params }) => {
      const refused = enter("subscription", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const found = subscriptions.get(String(params.id));
      return found === undefined ? error(404, "ResourceNotFound", "Not found") : HttpResponse.json(found as Record<string, unknown>);
    }),
    http.get(`${baseUrl}/v1/products/:id`, ({ request, params }) => {
      const refused = enter("product", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const found = products.get(String(params.id));
      return found === undefined ? error(404, "ResourceNotFound", "Not found") : HttpResponse.json(found as Record<string, unknown>);
    }),
    http.get(`${baseUrl}/v1/customers/external/:externalId`, ({ request, params }) => {
      const refused = enter("customer_external", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const found = customers.get(String(params.externalId));
      return found === undefined ? error(404, "ResourceNotFound", "Not found") : HttpResponse.json(customerObject(found));
    }),
    http.post(`${baseUrl}/v1/customers/`, async ({ request }) => {
      const body = (await request.json().catch(() => ({}))) as Partial<PolarStandInCustomer>;
      const refused = enter("create_customer", request, body);
      if (refused !== undefined && refused !== "after") return refused;
      if (typeof body.email !== "string" || !body.email.includes("@")) return invalid(["body", "email"], "value is not a valid email address", body.email ?? null);
      if ([...customers.values()].some((customer) => customer.email === body.email)) return invalid(["body", "email"], "A customer with this email address already exists.", body.email);
      if (typeof body.external_id === "string" && customers.has(body.external_id)) return invalid(["body", "external_id"], "A customer with this external ID already exists.", body.external_id);
      const customer: PolarStandInCustomer = { id: crypto.randomUUID(), email: body.email, name: body.name ?? null, external_id: body.external_id ?? null, metadata: body.metadata ?? {} };
      customers.set(customer.external_id ?? customer.id, customer);
      if (refused === "after") return connectionReset();
      return HttpResponse.json(customerObject(customer), { status: 201 });
    }),
    http.post(`${baseUrl}/v1/checkouts/`, async ({ request }) => {
      const body = (await request.json().catch(() => ({}))) as { products?: unknown; external_customer_id?: string | null; success_url?: string | null; return_url?: string | null; metadata?: Record<string, unknown> };
      const refused = enter("checkout", request, body);
      if (refused !== undefined && refused !== "after") return refused;
      if (!Array.isArray(body.products) || body.products.length === 0) return invalid(["body", "products"], "List should have at least 1 item after validation, not 0", body.products ?? null);
      for (const [index, id] of body.products.entries()) {
        const product = products.get(String(id)) as { is_archived?: boolean } | undefined;
        if (product === undefined) return invalid(["body", "products", index], "Product does not exist.", id);
        if (product.is_archived === true) return invalid(["body", "products", index], "Product is archived.", id);
      }
      const id = crypto.randomUUID();
      const checkout = {
        id,
        status: "open",
        client_secret: `polar_c_${id.replaceAll("-", "")}`,
        url: `https://sandbox.polar.sh/checkout/polar_c_${id.replaceAll("-", "")}`,
        expires_at: "2026-03-10T13:00:00Z",
        success_url: body.success_url ?? "https://polar.sh",
        return_url: body.return_url ?? null,
        metadata: body.metadata ?? {},
        external_customer_id: body.external_customer_id ?? null,
        customer_id: body.external_customer_id == null ? null : (customers.get(body.external_customer_id)?.id ?? null),
        product_id: body.products[0],
        products: body.products.map((product) => products.get(String(product))),
      };
      checkouts.push(checkout);
      return HttpResponse.json(checkout, { status: 201 });
    }),
    http.post(`${baseUrl}/v1/customer-sessions/`, async ({ request }) => {
      const body = (await request.json().catch(() => ({}))) as { external_customer_id?: string; return_url?: string | null };
      const refused = enter("customer_session", request, body);
      if (refused !== undefined && refused !== "after") return refused;
      const customer = customers.get(body.external_customer_id ?? "");
      if (customer === undefined) return invalid(["body", "external_customer_id"], "Customer does not exist.", body.external_customer_id ?? null);
      const id = crypto.randomUUID();
      const token = `polar_cst_${id.replaceAll("-", "")}`;
      const session = {
        id,
        token,
        expires_at: "2026-03-10T13:00:00Z",
        return_url: body.return_url ?? null,
        customer_portal_url: `https://sandbox.polar.sh/standin-org/portal?customer_session_token=${token}`,
        customer_id: customer.id,
        customer: customerObject(customer),
        created_at: "2026-03-10T12:00:00Z",
        modified_at: null,
      };
      customerSessions.push(session);
      return HttpResponse.json(session, { status: 201 });
    }),
  ];

  return {
    handlers,
    inject: faults.inject,
    injectRandom: faults.injectRandom,
    faultsServed: faults.served,
    /** Events Polar holds (a repeated external_id counted once), in arrival order. */
    events: (): HeldPolarEvent[] => allEvents(),
    /** Requests received, with their parsed bodies, URLs and headers. */
    calls: (route?: PolarRoute) => (route ? calls.filter((call) => call.route === route) : [...calls]),
    /** What GET /v1/subscriptions/{id} answers from now on. */
    setSubscription(subscription: { id: string } & Record<string, unknown>): void {
      subscriptions.set(subscription.id, subscription);
    },
    /** What GET /v1/products/{id} answers from now on. */
    setProduct(product: { id: string } & Record<string, unknown>): void {
      products.set(product.id, product);
    },
    /** Adds a customer Polar holds, under its external id. */
    addCustomer(customer: { external_id: string; email: string; name?: string }): PolarStandInCustomer {
      const held: PolarStandInCustomer = { id: crypto.randomUUID(), email: customer.email, name: customer.name ?? null, external_id: customer.external_id, metadata: {} };
      customers.set(customer.external_id, held);
      return held;
    },
    /** The customer Polar holds under this external id. */
    customer: (externalId: string): PolarStandInCustomer | undefined => customers.get(externalId),
    /** Checkout sessions created, in order. */
    checkouts: (): Record<string, unknown>[] => [...checkouts],
    /** Customer sessions created, in order. */
    customerSessions: (): Record<string, unknown>[] => [...customerSessions],
    reset(): void {
      customers.clear();
      checkouts.length = 0;
      customerSessions.length = 0;
      held.clear();
      withoutId.length = 0;
      subscriptions.clear();
      products.clear();
      calls.length = 0;
      faults.clear();
    },
  };
}

export type PolarStandIn = ReturnType<typeof createPolarStandIn>;
