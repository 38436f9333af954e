import { http, HttpResponse, type HttpHandler } from "msw";
import { connectionReset, createFaultQueue, unanswered, type Fault } from "./faults.ts";

/**
 * A stateful stand-in for the Metronome API billhub uses, reproducing what Metronome documents:
 * - `POST /v1/ingest` takes "a JSON array of between 1 and 100 usage events" and answers 200 with
 *   an empty body (docs.metronome.com/api-reference/usage/ingest-events; the SDK's `ingest` returns
 *   void); `transaction_id` dedupes for 34 days, a repeat "treated as duplicates and ignored", and
 *   "timestamps more than 24 hours in the future are rejected" (…/guides/events/send-usage-events).
 *   Which status a single malformed event in a batch gets is not documented: here the whole
 *   request is refused with 400, the documented answer to "a missing or malformed parameter".
 * - every 4xx body is `{ "message": "..." }`; 401 for a bad token, 429 "too many requests"
 *   (…/api-reference/status-codes). The 429's Retry-After is the stand-in's choice: Metronome
 *   documents no header, and the SDK reads `retry-after-ms` / `retry-after` when present.
 * - `GET /v1/billable-metrics/{id}` answers `{ data: { id, name, aggregation_type, aggregation_key, … } }`
 *   (SDK `BillableMetricRetrieveResponse`), 404 for an unknown id.
 * - `POST /v1/usage` (window_size NONE) answers `{ data: [{ customer_id, billable_metric_id,
 *   billable_metric_name, start_timestamp, end_timestamp, value }], next_page }` (SDK `UsageListResponse`).
 *
 * @example
 * const metronome = createMetronomeStandIn({ metrics: { bm_api: { eventType: "api_call" } } });
 * const server = setupServer(...metronome.handlers);
 */
export interface MetronomeStandInOptions {
  baseUrl?: string;
  /** The only accepted bearer token; by default any `Bearer ...` is accepted. */
  token?: string;
  /** Billable metrics by id: the event type they count and the property they sum (default "quantity"). */
  metrics?: Record<string, { eventType: string; property?: string; name?: string; aggregation?: "SUM" | "COUNT" | "MAX" | "LATEST" | "UNIQUE" }>;
  now?: () => Date;
}

export type MetronomeRoute = "ingest" | "usage" | "billable_metric";

export interface HeldEvent {
  transaction_id: string;
  customer_id: string;
  event_type: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

export function createMetronomeStandIn(options: MetronomeStandInOptions = {}) {
  const baseUrl = (options.baseUrl ?? "https://api.metronome.com").replace(/\/$/, "");
  const now = options.now ?? (() => new Date());
  const metrics = options.metrics ?? {};
  const faults = createFaultQueue<MetronomeRoute>();
  const held = new Map<string, HeldEvent>();
  const calls: { route: MetronomeRoute; body: unknown }[] = [];

  const fail = (status: number, message: string, headers: Record<string, string> = {}) => HttpResponse.json({ message }, { status, headers });

  function faultResponse(fault: Fault): Response | Promise<Response> {
    switch (fault.kind) {
      case "reset":
        return connectionReset();
      case "rate_limit":
        return fail(429, "Too many requests", fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter });
      case "server_error":
        return fail(fault.status ?? 500, "Internal server error");
      case "timeout":
        return unanswered(fault.holdMs, fault.release);
      case "response":
        return HttpResponse.json(fault.body as Record<string, unknown>, { status: fault.status, headers: fault.headers ?? {} });
      default:
        throw new Error(`the Metronome stand-in does not play ${fault.kind} before processing`);
    }
  }

  /** Checks one event; the message of the 400 that refuses it, if any. */
  function problem(event: unknown, index: number): string | undefined {
    if (typeof event !== "object" || event === null) return `usage[${index}] must be an object`;
    const fields = event as Record<string, unknown>;
    for (const name of ["transaction_id", "customer_id", "event_type", "timestamp"]) {
      if (typeof fields[name] !== "string" || fields[name] === "") return `usage[${index}].${name} is required`;
    }
    const timestamp = fields.timestamp as string;
    if (!RFC3339.test(timestamp)) return `usage[${index}].timestamp must be an RFC 3339 string with a 4-digit year`;
    if (Date.parse(timestamp) - now().getTime() > DAY_MS) return `usage[${index}].timestamp is more than 24 hours in the future`;
    if (fields.properties !== undefined && (typeof fields.properties !== "object" || fields.properties === null)) return `usage[${index}].properties must be an object`;
    return undefined;
  }

  function enter(route: MetronomeRoute, request: Request, body: unknown): Response | Promise<Response> | "after" | undefined {
    calls.push({ route, body });
    const fault = faults.take(route);
    if (fault?.kind === "reset_after_processing" || fault?.kind === "timeout_after_processing") return "after";
    if (fault) return faultResponse(fault);
    const auth = request.headers.get("authorization") ?? "";
    const ok = options.token === undefined ? /^Bearer \S+/.test(auth) : auth === `Bearer ${options.token}`;
    return ok ? undefined : fail(401, "Unauthorized");
  }

  const handlers: HttpHandler[] = [
    http.post(`${baseUrl}/v1/ingest`, async ({ request }) => {
      const body: unknown = await request.json().catch(() => undefined);
      const refused = enter("ingest", request, body);
      if (refused !== undefined && refused !== "after") return refused;
      if (!Array.isArray(body) || body.length < 1 || body.length > 100) return fail(400, "The request body must be a JSON array of between 1 and 100 usage events");
      for (const [index, event] of body.entries()) {
        const message = problem(event, index);
        if (message) return fail(400, message);
      }
      for (const event of body as HeldEvent[]) {
        if (!held.has(event.transaction_id)) held.set(event.transaction_id, { ...event, properties: event.properties ?? {} });
      }
      if (refused === "after") return connectionReset();
      return new HttpResponse(null, { status: 200 });
    }),
    http.get(`${baseUrl}/v1/billable-metrics/:id`, ({ request, params }) => {
      const refused = enter("billable_metric", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const id = String(params.id);
      const metric = metrics[id];
      if (metric === undefined) return fail(404, `Billable metric ${id} not found`);
      return HttpResponse.json({
        data: { id, name: metric.name ?? id, aggregation_type: metric.aggregation ?? "SUM", aggregation_key: metric.property ?? "quantity", event_type_filter: { in_values: [metric.eventType] }, group_keys: [], custom_fields: {} },
      });
    }),
    http.post(`${baseUrl}/v1/usage`, async ({ request }) => {
      const body = (await request.json()) as { starting_on: string; ending_before: string; window_size: string; customer_ids?: string[]; billable_metrics?: { id: string }[] };
      const refused = enter("usage", request, body);
      if (refused !== undefined && refused !== "after") return refused;
      const from = Date.parse(body.starting_on);
      const to = Date.parse(body.ending_before);
      const data = [];
      for (const customer of body.customer_ids ?? []) {
        for (const { id } of body.billable_metrics ?? []) {
          const metric = metrics[id];
          if (metric === undefined) return fail(400, `Billable metric ${id} not found`);
          const values = [...held.values()]
            .filter((event) => event.customer_id === customer && event.event_type === metric.eventType && Date.parse(event.timestamp) >= from && Date.parse(event.timestamp) < to)
            .map((event) => Number(event.properties[metric.property ?? "quantity"] ?? 0));
          data.push({
            customer_id: customer,
            billable_metric_id: id,
            billable_metric_name: metric.name ?? id,
            start_timestamp: body.starting_on,
            end_timestamp: body.ending_before,
            value: values.length === 0 ? null : values.reduce((a, b) => a + b, 0),
          });
        }
      }
      return HttpResponse.json({ data, next_page: null });
    }),
  ];

  return {
    handlers,
    inject: faults.inject,
    injectRandom: faults.injectRandom,
    faultsServed: faults.served,
    /** Events Metronome holds (duplicates ignored), in arrival order. */
    events: (): HeldEvent[] => [...held.values()],
    /** Requests received, with their parsed bodies. */
    calls: (route?: MetronomeRoute) => (route ? calls.filter((call) => call.route === route) : [...calls]),
    reset(): void {
      held.clear();
      calls.length = 0;
      faults.clear();
    },
  };
}

export type MetronomeStandIn = ReturnType<typeof createMetronomeStandIn>;
