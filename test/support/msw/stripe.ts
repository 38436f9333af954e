import { randomBytes } from "node:crypto";
import { http, HttpResponse, type HttpHandler } from "msw";
import { connectionReset, createFaultQueue, type Fault } from "./faults.ts";
import { createInvoiceItemRoutes } from "./stripe-invoice-items.ts";

/**
 * A stateful stand-in for the parts of Stripe billhub talks to, reproducing Stripe's real
 * answers (PROVIDERS.md): meter events deduplicated by `identifier` with the real duplicate 400,
 * idempotent replays, v2 meter event sessions that expire, prices, products and subscriptions to
 * retrieve (404 resource_missing when unknown; a price's tiers only when expanded), invoice
 * items on draft invoices (stripe-invoice-items.ts), and injectable faults.
 *
 * @example
 * const stripe = createStripeStandIn({ now: () => clock });
 * const server = setupServer(...stripe.handlers);
 * stripe.inject("meter_events", { kind: "rate_limit", retryAfter: "2" });
 */
export interface StripeStandInOptions {
  /** Origin of the v1 API and the session endpoint. */
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
  | "meter_events"
  | "meter_event_session"
  | "meter_event_stream"
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

/** A response the stand-in can save for an idempotent replay. */
export interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
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
  const idempotency = new Map<string, Answer & { params: string }>();
  const sessions = new Map<string, number>();
  const calls: StripeCall[] = [];
  const objects: Record<StripeObjectType, Map<string, Record<string, unknown>>> = { price: new Map(), product: new Map(), subscription: new Map(), invoice: new Map() };

  const requestId = () => `req_${randomBytes(7).toString("hex")}`;
  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
    HttpResponse.json(body as Record<string, unknown>, { status, headers: { "request-id": requestId(), ...headers } });
  const v1Error = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) => json({ error }, status, headers);

  function authorized(request: Request): boolean {
    const header = request.headers.get("authorization") ?? "";
    const key = header.replace(/^Bearer /, "");
    return options.secretKey === undefined ? key.startsWith("sk_") : key === options.secretKey;
  }

  function faultResponse(route: StripeRoute, fault: Fault): Response {
    switch (fault.kind) {
      case "reset":
        return connectionReset();
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

  /** Form parameters in a canonical order: what Stripe compares an idempotent replay against. */
  function canonicalParams(params: URLSearchParams): string {
    return [...params.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join("&");
  }

  /**
   * Stripe's idempotency: a key seen with the same parameters replays the saved answer (with
   * `idempotent-replayed: true`); with other parameters it is an idempotency_error; a new key runs
   * the request and saves its answer (kept until `expireIdempotencyKeys`, Stripe's 24 hours).
   */
  function idempotent(request: Request, canonical: string, run: () => Answer): Response {
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
    return json(answer.body, answer.status, answer.headers);
  }

  /** The start of every v1 POST: the call is recorded, an injected fault or a bad key answers first. */
  function admit(route: StripeRoute, request: Request): Response | undefined {
    calls.push({ route, idempotencyKey: request.headers.get("idempotency-key"), authorization: request.headers.get("authorization") });
    const fault = faults.take(route);
    if (fault) return faultResponse(route, fault);
    if (!authorized(request)) return v1Error(401, { message: "Invalid API Key provided: sk_****", type: "invalid_request_error" });
    return undefined;
  }

  async function meterEvent(request: Request): Promise<Response> {
    const refused = admit("meter_events", request);
    if (refused) return refused;
    const params = new URLSearchParams(await request.text());
    return idempotent(request, canonicalParams(params), () => acceptMeterEvent(params));
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
    if (events.has(identifier)) return fail(`An event already exists with identifier ${identifier}.`, undefined, { "stripe-should-retry": "false" });
    events.set(identifier, { identifier, eventName, payload, timestamp, via: "v1" });
    return {
      status: 200,
      body: { object: "billing.meter_event", created: nowS, event_name: eventName, identifier, livemode: false, payload, timestamp },
      headers: {},
    };
  }

  async function createSession(request: Request): Promise<Response> {
    calls.push({ route: "meter_event_session", idempotencyKey: request.headers.get("idempotency-key"), authorization: request.headers.get("authorization") });
    const fault = faults.take("meter_event_session");
    if (fault) return faultResponse("meter_event_session", fault);
    if (!authorized(request)) return v1Error(401, { message: "Invalid API Key provided: sk_****", type: "invalid_request_error" });
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
    const authorization = request.headers.get("authorization");
    calls.push({ route: "meter_event_stream", idempotencyKey: request.headers.get("idempotency-key"), authorization });
    const fault = faults.take("meter_event_stream");
    if (fault) return faultResponse("meter_event_stream", fault);
    const token = (authorization ?? "").replace(/^Bearer /, "");
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
      if (events.has(identifier)) continue;
      const timestamp = event.timestamp ? Math.floor(Date.parse(event.timestamp) / 1000) : Math.floor(now().getTime() / 1000);
      events.set(identifier, { identifier, eventName: event.event_name!, payload: event.payload!, timestamp, via: "stream" });
    }
    return json({});
  }

  /** Stripe's retrieve: the object as held; a price's `tiers` only when expanded, as Stripe does. */
  function retrieve(type: StripeObjectType, request: Request, id: string): Response {
    const route = `retrieve_${type}` as const;
    calls.push({ route, idempotencyKey: null, authorization: request.headers.get("authorization") });
    const fault = faults.take(route);
    if (fault) return faultResponse(route, fault);
    if (!authorized(request)) return v1Error(401, { message: "Invalid API Key provided: sk_****", type: "invalid_request_error" });
    const object = objects[type].get(id);
    if (object === undefined) {
      return v1Error(404, {
        code: "resource_missing",
        doc_url: "https://stripe.com/docs/error-codes/resource-missing",
        message: `No such ${type}: '${id}'`,
        param: "id",
        type: "invalid_request_error",
      });
    }
    const expanded = [...new URL(request.url).searchParams.entries()].some(([key, value]) => key.startsWith("expand") && value === "tiers");
    const body = structuredClone(object);
    if (type === "price" && !expanded) delete body.tiers;
    return json(body);
  }

  const invoiceItems = createInvoiceItemRoutes({
    apiOrigin,
    now,
    admit,
    idempotent,
    canonicalParams,
    json: (body, status) => json(body, status),
    invoice: (id) => objects.invoice.get(id),
  });

  const handlers: HttpHandler[] = [
    ...invoiceItems.handlers,
    http.get(`${apiOrigin}/v1/invoices/:id`, ({ request, params }) => retrieve("invoice", request, String(params.id))),
    http.get(`${apiOrigin}/v1/prices/:id`, ({ request, params }) => retrieve("price", request, String(params.id))),
    http.get(`${apiOrigin}/v1/products/:id`, ({ request, params }) => retrieve("product", request, String(params.id))),
    http.get(`${apiOrigin}/v1/subscriptions/:id`, ({ request, params }) => retrieve("subscription", request, String(params.id))),
    http.post(`${apiOrigin}/v1/billing/meter_events`, ({ request }) => meterEvent(request)),
    http.post(`${apiOrigin}/v2/billing/meter_event_session`, ({ request }) => createSession(request)),
    http.post(`${meterEventsOrigin}/v2/billing/meter_event_stream`, ({ request }) => stream(request)),
  ];

  return {
    handlers,
    /** Answers the next `times` requests to `route` with `fault`. */
    inject: faults.inject,
    /** Meter events Stripe holds, in arrival order. */
    events: (): RecordedMeterEvent[] => [...events.values()],
    /** Every request that reached the stand-in, faults included. */
    calls: (route?: StripeRoute): StripeCall[] => (route ? calls.filter((call) => call.route === route) : [...calls]),
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
    /** Forgets saved idempotency keys, as Stripe does after 24 hours. */
    expireIdempotencyKeys: (): void => idempotency.clear(),
    /** Ends every open v2 session, as their 15 minutes running out would. */
    expireSessions: (): void => {
      for (const token of sessions.keys()) sessions.set(token, 0);
    },
    reset(): void {
      events.clear();
      invoiceItems.clear();
      for (const held of Object.values(objects)) held.clear();
      idempotency.clear();
      sessions.clear();
      calls.length = 0;
      faults.clear();
    },
  };
}

export type StripeStandIn = ReturnType<typeof createStripeStandIn>;
