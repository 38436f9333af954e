import { randomBytes } from "node:crypto";
import { http, HttpResponse, type HttpHandler } from "msw";
import { connectionReset, createFaultQueue, strikesAfterProcessing, unanswered, type Fault } from "./faults.ts";
import { meterJson, standInMeter, summarize, type StandInMeter } from "./stripe-meters.ts";
import { createInvoiceItemRoutes } from "./stripe-invoice-items.ts";
import { createHostedPagesRoutes, type HostedPagesRoute } from "./stripe-hosted-pages.ts";

/**
 * A stateful stand-in for the parts of Stripe billhub talks to, reproducing Stripe's real
 * answers (PROVIDERS.md): meter events deduplicated by `identifier` with the real duplicate 400,
 * idempotent replays, v2 meter event sessions that expire, meters and their event summaries,
 * prices, products, subscriptions and invoices to retrieve (404 resource_missing when unknown; a
 * price's tiers only when expanded), invoice items on draft invoices (stripe-invoice-items.ts),
 * and injectable faults. Its logic is one Web-standard handler,
 * `fetch(request)`, served both through msw (`handlers`) and over real HTTP
 * (test/support/stand-ins/stripe-server.ts).
 *
 * @example
 * const stripe = createStripeStandIn({ now: () => clock });
 * const server = setupServer(...stripe.handlers);
 * stripe.inject("meter_events", { kind: "rate_limit", retryAfter: "2" });
 */
export interface StripeStandInOptions {
  /** Origin of the v1 API and the session endpoint (msw handlers only; `fetch` reads the path). */
  apiOrigin?: string;
  /** Origin of the v2 meter event stream (Stripe's separate host unless a stand-in host is configured). */
  meterEventsOrigin?: string;
  /** The only accepted secret key; by default any `sk_` key is accepted. */
  secretKey?: string;
  now?: () => Date;
  /** How long a v2 session lasts (Stripe: 15 minutes). */
  sessionTtlMs?: number;
  /** Accept fractional values, as an account Stripe enabled decimal values on does. */
  decimalValues?: boolean;
}

export type StripeRoute =
  | HostedPagesRoute
  | "meter_events"
  | "meter_event_session"
  | "meter_event_stream"
  | "list_meters"
  | "meter_event_summaries"
  | "retrieve_price"
  | "retrieve_product"
  | "retrieve_subscription"
  | "retrieve_invoice"
  | "create_invoice_item"
  | "list_invoice_items";

/** Objects the stand-in serves to `GET /v1/<type>s/:id`. */
export type StripeObjectType = "price" | "product" | "subscription" | "invoice";

export interface RecordedMeterEvent {
  identifier: string;
  eventName: string;
  payload: Record<string, string>;
  /** Unix seconds, as Stripe keeps it. */
  timestamp: number;
  via: "v1" | "stream";
}

export interface StripeCall {
  route: StripeRoute;
  idempotencyKey: string | null;
  authorization: string | null;
}

/** What a route answers: a response, or one that comes later (or too late). */
export type Reply = Response | Promise<Response>;

/** A response the stand-in can save for an idempotent replay. */
export interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** One route of the stand-in; stripe-invoice-items.ts contributes its own. */
export interface StandInRoute {
  route: StripeRoute;
  method: "GET" | "POST";
  /** Path with `:param` segments. */
  path: string;
  /** The v2 stream lives on its own host at Stripe. */
  origin: "api" | "meter_events";
  handle(request: Request, params: Record<string, string>): Reply;
}

const DAY_S = 86_400;
const MAX_STREAM_EVENTS = 100;
const MAX_SIGNIFICANT_DIGITS = 15;

export function createStripeStandIn(options: StripeStandInOptions = {}) {
  const apiOrigin = options.apiOrigin ?? "https://api.stripe.com";
  const meterEventsOrigin = options.meterEventsOrigin ?? "https://meter-events.stripe.com";
  const now = options.now ?? (() => new Date());
  const sessionTtlMs = options.sessionTtlMs ?? 15 * 60_000;
  const faults = createFaultQueue<StripeRoute>();
  const events = new Map<string, RecordedMeterEvent>();
  /** Every meter event that arrived, per identifier (held or refused as a duplicate). */
  const arrivals = new Map<string, number>();
  const idempotency = new Map<string, Answer & { params: string }>();
  const sessions = new Map<string, number>();
  const calls: StripeCall[] = [];
  const meters = new Map<string, StandInMeter>();
  const objects: Record<StripeObjectType, Map<string, Record<string, unknown>>> = { price: new Map(), product: new Map(), subscription: new Map(), invoice: new Map() };

  const requestId = () => `req_${randomBytes(7).toString("hex")}`;
  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
    HttpResponse.json(body as Record<string, unknown>, { status, headers: { "request-id": requestId(), ...headers } });
  const v1Error = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) => json({ error }, status, headers);
  const missing = (what: string, id: string, param = "id") =>
    v1Error(404, { code: "resource_missing", doc_url: "https://stripe.com/docs/error-codes/resource-missing", message: `No such ${what}: '${id}'`, param, type: "invalid_request_error" });
  const unauthorized = () => v1Error(401, { message: "Invalid API Key provided: sk_****", type: "invalid_request_error" });

  function authorized(request: Request): boolean {
    const header = request.headers.get("authorization") ?? "";
    const key = header.replace(/^Bearer /, "");
    return options.secretKey === undefined ? key.startsWith("sk_") : key === options.secretKey;
  }

  /** Logs the call and takes its fault, if any. A fault that lets the request through is returned as `after`. */
  function enter(route: StripeRoute, request: Request): { fault?: Reply; after?: Fault } {
    calls.push({ route, idempotencyKey: request.headers.get("idempotency-key"), authorization: request.headers.get("authorization") });
    const fault = faults.take(route);
    if (fault === undefined) return {};
    if (strikesAfterProcessing(fault)) return { after: fault };
    return { fault: faultResponse(route, fault) };
  }

  function faultResponse(route: StripeRoute, fault: Fault): Reply {
    switch (fault.kind) {
      case "reset":
      case "reset_after_processing":
        return connectionReset();
      case "timeout":
        return unanswered(fault.holdMs, fault.release);
      case "timeout_after_processing":
        return unanswered(fault.holdMs);
      case "rate_limit":
        return v1Error(
          429,
          { message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.", type: "invalid_request_error", code: "rate_limit" },
          fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter },
        );
      case "server_error":
        return v1Error(fault.status ?? 500, { message: "An unknown error occurred", type: "api_error" });
      case "session_expired":
        return sessionExpired();
      case "response":
        return json(fault.body, fault.status, fault.headers);
      default:
        throw new Error(`unknown fault for ${route}`);
    }
  }

  function sessionExpired(): Response {
    return v1Error(401, { type: "temporary_session_expired", code: "billing_meter_event_session_expired", message: "Your meter event session has expired. Create a new session and retry." });
  }

  function checkValue(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (!/^-?\d+(\.\d+)?$/.test(value)) return `The value in the event payload must be a number. Received ${value}.`;
    if (value.includes(".") && !options.decimalValues) return `The value in the event payload must be a whole number. Received ${value}.`;
    const digits = value.replace(/^-/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
    if (digits.length > MAX_SIGNIFICANT_DIGITS) return `The value in the event payload can have at most ${MAX_SIGNIFICANT_DIGITS} digits. Received ${value}.`;
    return undefined;
  }

  function arrived(identifier: string): void {
    arrivals.set(identifier, (arrivals.get(identifier) ?? 0) + 1);
  }

  /** Form parameters in a canonical order: what Stripe compares an idempotent replay against. */
  function canonicalParams(params: URLSearchParams): string {
    return [...params.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join("&");
  }

  /**
   * Stripe's idempotency: a key seen with the same parameters replays the saved answer (with
   * `idempotent-replayed: true`); with other parameters it is an idempotency_error; a new key runs
   * the request and saves its answer (kept until `expireIdempotencyKeys`, Stripe's 24 hours).
   * `after` is a fault that strikes once the request was processed (the answer is lost).
   */
  function idempotent(request: Request, canonical: string, run: () => Answer, after?: { route: StripeRoute; fault: Fault }): Reply {
    const idempotencyKey = request.headers.get("idempotency-key");
    if (idempotencyKey !== null) {
      const saved = idempotency.get(idempotencyKey);
      if (saved && saved.params !== canonical) {
        return v1Error(400, {
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          type: "idempotency_error",
        });
      }
      if (saved) return json(saved.body, saved.status, { ...saved.headers, "idempotent-replayed": "true" });
    }
    const answer = run();
    if (idempotencyKey !== null) idempotency.set(idempotencyKey, { params: canonical, ...answer });
    return after ? faultResponse(after.route, after.fault) : json(answer.body, answer.status, answer.headers);
  }

  /** The start of a v1 request that is answered whole: recorded, then an injected fault or a bad key answers first. */
  function admit(route: StripeRoute, request: Request): Reply | undefined {
    const { fault, after } = enter(route, request);
    if (fault) return fault;
    if (after) return faultResponse(route, after);
    if (!authorized(request)) return unauthorized();
    return undefined;
  }

  async function meterEvent(request: Request): Promise<Response> {
    const { fault, after } = enter("meter_events", request);
    if (fault) return fault;
    if (!authorized(request)) return unauthorized();
    const params = new URLSearchParams(await request.text());
    return idempotent(request, canonicalParams(params), () => acceptMeterEvent(params), after && { route: "meter_events", fault: after });
  }

  function acceptMeterEvent(params: URLSearchParams): Answer {
    const fail = (message: string, param?: string, headers: Record<string, string> = {}) => ({
      status: 400,
      body: { error: { message, type: "invalid_request_error", ...(param ? { param } : {}) } },
      headers,
    });
    const eventName = params.get("event_name");
    if (!eventName) return fail("Missing required param: event_name.", "event_name");
    const payload: Record<string, string> = {};
    for (const [key, value] of params) {
      const match = /^payload\[(.+)\]$/.exec(key);
      if (match) payload[match[1]!] = value;
    }
    if (Object.keys(payload).length === 0) return fail("Missing required param: payload.", "payload");
    const valueProblem = checkValue(payload.value);
    if (valueProblem) return fail(valueProblem, "payload");
    const nowS = Math.floor(now().getTime() / 1000);
    const timestamp = params.has("timestamp") ? Number.parseInt(params.get("timestamp")!, 10) : nowS;
    if (timestamp < nowS - 35 * DAY_S || timestamp > nowS + 300) {
      return fail("Timestamp must be within the past 35 calendar days and not more than 5 minutes in the future.", "timestamp");
    }
    const identifier = params.get("identifier") ?? `gen_${randomBytes(8).toString("hex")}`;
    arrived(identifier);
    if (events.has(identifier)) return fail(`An event already exists with identifier ${identifier}.`, undefined, { "stripe-should-retry": "false" });
    events.set(identifier, { identifier, eventName, payload, timestamp, via: "v1" });
    return {
      status: 200,
      body: { object: "billing.meter_event", created: nowS, event_name: eventName, identifier, livemode: false, payload, timestamp },
      headers: {},
    };
  }

  async function createSession(request: Request): Promise<Response> {
    const { fault } = enter("meter_event_session", request);
    if (fault) return fault;
    if (!authorized(request)) return unauthorized();
    const token = `mes_tok_${randomBytes(12).toString("hex")}`;
    const created = now();
    const expiresAt = created.getTime() + sessionTtlMs;
    sessions.set(token, expiresAt);
    return json({
      object: "v2.billing.meter_event_session",
      id: `mes_${randomBytes(8).toString("hex")}`,
      authentication_token: token,
      created: created.toISOString(),
      expires_at: new Date(expiresAt).toISOString(),
      livemode: false,
    });
  }

  async function stream(request: Request): Promise<Response> {
    const { fault, after } = enter("meter_event_stream", request);
    if (fault) return fault;
    const token = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    const expiresAt = sessions.get(token);
    if (expiresAt === undefined || expiresAt <= now().getTime()) return sessionExpired();
    const body = (await request.json()) as { events?: { event_name?: string; identifier?: string; payload?: Record<string, string>; timestamp?: string }[] };
    const list = body.events ?? [];
    if (list.length === 0 || list.length > MAX_STREAM_EVENTS) {
      return v1Error(400, { type: "invalid_request", code: "invalid_fields", message: `events must hold between 1 and ${MAX_STREAM_EVENTS} events, got ${list.length}.` });
    }
    for (const [index, event] of list.entries()) {
      if (!event.event_name || !event.payload) return v1Error(400, { type: "invalid_request", code: "invalid_fields", message: `events[${index}] is missing event_name or payload.` });
    }
    // Stream validation is asynchronous at Stripe: accepted events are acknowledged with {}.
    for (const event of list) {
      const identifier = event.identifier ?? `gen_${randomBytes(8).toString("hex")}`;
      arrived(identifier);
      if (events.has(identifier)) continue;
      const timestamp = event.timestamp ? Math.floor(Date.parse(event.timestamp) / 1000) : Math.floor(now().getTime() / 1000);
      events.set(identifier, { identifier, eventName: event.event_name!, payload: event.payload!, timestamp, via: "stream" });
    }
    return after ? faultResponse("meter_event_stream", after) : json({});
  }

  async function listMeters(request: Request): Promise<Response> {
    const { fault } = enter("list_meters", request);
    if (fault) return fault;
    if (!authorized(request)) return unauthorized();
    const status = new URL(request.url).searchParams.get("status");
    const data = [...meters.values()].filter((meter) => status === null || meter.status === status).map(meterJson);
    return json({ object: "list", data, has_more: false, url: "/v1/billing/meters" });
  }

  async function eventSummaries(request: Request, params: Record<string, string>): Promise<Response> {
    const { fault } = enter("meter_event_summaries", request);
    if (fault) return fault;
    if (!authorized(request)) return unauthorized();
    const meter = meters.get(params.id!);
    if (meter === undefined) return missing("billing meter", params.id!);
    const query = new URL(request.url).searchParams;
    for (const name of ["customer", "start_time", "end_time"]) {
      if (!query.get(name)) return v1Error(400, { message: `Missing required param: ${name}.`, param: name, type: "invalid_request_error" });
    }
    const [start, end] = [Number(query.get("start_time")), Number(query.get("end_time"))];
    for (const [name, value] of [["start_time", start], ["end_time", end]] as const) {
      if (!Number.isInteger(value) || value % 60 !== 0) {
        return v1Error(400, { message: `${name} must be aligned with minute boundaries.`, param: name, type: "invalid_request_error" });
      }
    }
    if (start >= end) return v1Error(400, { message: "start_time must be before end_time.", param: "start_time", type: "invalid_request_error" });
    const summary = summarize(meter, events.values(), query.get("customer")!, start, end);
    return json({ object: "list", data: [summary], has_more: false, url: `/v1/billing/meters/${meter.id}/event_summaries` });
  }

  /** Stripe's retrieve: the object as held; a price's `tiers` only when expanded, as Stripe does. */
  async function retrieve(type: StripeObjectType, request: Request, id: string): Promise<Response> {
    const { fault } = enter(`retrieve_${type}`, request);
    if (fault) return fault;
    if (!authorized(request)) return unauthorized();
    const object = objects[type].get(id);
    if (object === undefined) return missing(type, id);
    const expanded = [...new URL(request.url).searchParams.entries()].some(([key, value]) => key.startsWith("expand") && value === "tiers");
    const body = structuredClone(object);
    if (type === "price" && !expanded) delete body.tiers;
    return json(body);
  }

  const invoiceItems = createInvoiceItemRoutes({
    now,
    admit,
    idempotent: (request, canonical, run) => idempotent(request, canonical, run),
    canonicalParams,
    json: (body, status) => json(body, status),
    invoice: (id) => objects.invoice.get(id),
  });

  const hostedPages = createHostedPagesRoutes({
    admit,
    idempotent: (request, canonical, run) => idempotent(request, canonical, run),
    canonicalParams,
    json: (body, status) => json(body, status),
    prices: () => [...objects.price.values()],
  });

  const routes: StandInRoute[] = [
    ...invoiceItems.routes,
    ...hostedPages.routes,
    { route: "retrieve_invoice", method: "GET", path: "/v1/invoices/:id", origin: "api", handle: (request, params) => retrieve("invoice", request, params.id!) },
    { route: "retrieve_price", method: "GET", path: "/v1/prices/:id", origin: "api", handle: (request, params) => retrieve("price", request, params.id!) },
    { route: "retrieve_product", method: "GET", path: "/v1/products/:id", origin: "api", handle: (request, params) => retrieve("product", request, params.id!) },
    { route: "retrieve_subscription", method: "GET", path: "/v1/subscriptions/:id", origin: "api", handle: (request, params) => retrieve("subscription", request, params.id!) },
    { route: "meter_events", method: "POST", path: "/v1/billing/meter_events", origin: "api", handle: meterEvent },
    { route: "list_meters", method: "GET", path: "/v1/billing/meters", origin: "api", handle: listMeters },
    { route: "meter_event_summaries", method: "GET", path: "/v1/billing/meters/:id/event_summaries", origin: "api", handle: eventSummaries },
    { route: "meter_event_session", method: "POST", path: "/v2/billing/meter_event_session", origin: "api", handle: createSession },
    { route: "meter_event_stream", method: "POST", path: "/v2/billing/meter_event_stream", origin: "meter_events", handle: stream },
  ];

  /** Stripe's API as one Web-standard handler; the origin is ignored (a local stand-in serves both hosts). */
  async function fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    for (const spec of routes) {
      if (spec.method !== request.method) continue;
      const params = matchPath(spec.path, path);
      if (params) return spec.handle(request, params);
    }
    return v1Error(404, { message: `Unrecognized request URL (${request.method}: ${path}).`, type: "invalid_request_error" });
  }

  // msw matches each route on its own host (so a request to an unknown URL stays unhandled) and hands it to `fetch`.
  const handlers: HttpHandler[] = routes.map((spec) => {
    const url = `${spec.origin === "api" ? apiOrigin : meterEventsOrigin}${spec.path}`;
    const handle = ({ request }: { request: Request }) => fetch(request);
    return spec.method === "GET" ? http.get(url, handle) : http.post(url, handle);
  });

  return {
    handlers,
    fetch,
    /** Answers the next `times` requests to `route` with `fault`. */
    inject: faults.inject,
    /** From now on, answers requests to `route` with random faults (seeded). */
    injectRandom: faults.injectRandom,
    /** How many faults of each kind were answered so far. */
    faultsServed: faults.served,
    /** Meter events Stripe holds, in arrival order. */
    events: (): RecordedMeterEvent[] => [...events.values()],
    /** How many times each identifier arrived (held once; every later arrival was refused or skipped as a duplicate). */
    arrivals: (): ReadonlyMap<string, number> => new Map(arrivals),
    /** Identifiers that arrived more than once, with how often. */
    duplicates: (): Array<{ identifier: string; arrivals: number }> =>
      [...arrivals.entries()].filter(([, count]) => count > 1).map(([identifier, count]) => ({ identifier, arrivals: count })),
    /** Every request that reached the stand-in, faults included. */
    calls: (route?: StripeRoute): StripeCall[] => (route ? calls.filter((call) => call.route === route) : [...calls]),
    /** Makes Stripe hold a billing meter (for meter listing and event summaries). */
    putMeter(input: { eventName: string; formula?: StandInMeter["formula"]; status?: StandInMeter["status"]; id?: string }): StandInMeter {
      const meter = standInMeter(input);
      meters.set(meter.id, meter);
      return meter;
    },
    /** Makes Stripe hold `object` (its current state) for retrieve calls. */
    putObject(type: StripeObjectType, object: Record<string, unknown>): void {
      objects[type].set(String(object.id), structuredClone(object));
    },
    /** Makes Stripe forget an object: retrieving it answers 404 resource_missing. */
    deleteObject(type: StripeObjectType, id: string): void {
      objects[type].delete(id);
    },
    /** Invoice items Stripe holds, oldest first (of one invoice when given). */
    invoiceItems: invoiceItems.items,
    /** Customers, Checkout Sessions and Billing Portal sessions Stripe holds; `putCustomer` adds one. */
    customers: hostedPages.customers,
    putCustomer: hostedPages.putCustomer,
    checkoutSessions: hostedPages.checkoutSessions,
    portalSessions: hostedPages.portalSessions,
    /** Forgets saved idempotency keys, as Stripe does after 24 hours. */
    expireIdempotencyKeys: (): void => idempotency.clear(),
    /** Ends every open v2 session, as their 15 minutes running out would. */
    expireSessions: (): void => {
      for (const token of sessions.keys()) sessions.set(token, 0);
    },
    reset(): void {
      events.clear();
      arrivals.clear();
      invoiceItems.clear();
      hostedPages.clear();
      meters.clear();
      for (const held of Object.values(objects)) held.clear();
      idempotency.clear();
      sessions.clear();
      calls.length = 0;
      faults.clear();
    },
  };
}

export type StripeStandIn = ReturnType<typeof createStripeStandIn>;

/** Matches `/v1/billing/meters/:id/event_summaries` against a path; the params, or undefined. */
function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(got[index]!);
    else if (part !== got[index]) return undefined;
  }
  return params;
}
