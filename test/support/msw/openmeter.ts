import { http, HttpResponse, type HttpHandler } from "msw";
import { connectionReset, createFaultQueue, unanswered, type Fault } from "./faults.ts";

/**
 * A stateful stand-in for the OpenMeter API billhub uses, reproducing what OpenMeter documents:
 * - `POST /api/v1/events` takes one CloudEvent (`application/cloudevents+json`) or an array
 *   (`application/cloudevents-batch+json`) and answers 204 with no body (`ingestEvents` in the
 *   SDK's `schemas.d.ts`). Events are deduplicated on `id` + `source` (openmeter.io/docs/collectors/buffer):
 *   a repeat is answered 204 like any other and counted once. `type` and `subject` are required
 *   (`Event`); a malformed event refuses the whole request with 400.
 * - errors are `application/problem+json` `{ type, title, status, detail, instance }` (RFC 7807,
 *   `UnexpectedProblemResponse`): 400, 401 for a bad token, 404, 500/503; 429 carries `Retry-After`
 *   and `X-RateLimit-Limit|Remaining|Reset` (openmeter.io/docs/cloud/api/rate-limiting).
 * - `GET /api/v1/meters/{slug}` answers the meter (`slug`, `aggregation`, `eventType`, `valueProperty`);
 *   `GET /api/v1/meters/{slug}/query?from&to&subject` answers `{ from, to, data: [{ value, windowStart,
 *   windowEnd, subject, groupBy }] }`, one row per subject with events when no `windowSize` is given
 *   (`queryMeter`, `MeterQueryRow`); `from` and `to` are both documented as inclusive.
 *
 * @example
 * const openmeter = createOpenMeterStandIn({ meters: { api_calls: { eventType: "api_call" } } });
 * const server = setupServer(...openmeter.handlers);
 */
export interface OpenMeterStandInOptions {
  baseUrl?: string;
  /** The only accepted bearer token; by default any `Bearer ...` is accepted. */
  token?: string;
  /** Meters by slug: the event type they match and the `data` property they sum (default "value"). */
  meters?: Record<string, { eventType: string; property?: string; aggregation?: "SUM" | "COUNT" | "MAX" | "LATEST" }>;
}

export type OpenMeterRoute = "ingest" | "meter" | "query";

export interface HeldCloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject: string;
  time?: string;
  data?: Record<string, unknown>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const TITLES: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable" };

export function createOpenMeterStandIn(options: OpenMeterStandInOptions = {}) {
  const baseUrl = (options.baseUrl ?? "https://openmeter.cloud").replace(/\/$/, "");
  const meters = options.meters ?? {};
  const faults = createFaultQueue<OpenMeterRoute>();
  const held = new Map<string, HeldCloudEvent>();
  const calls: { route: OpenMeterRoute; body: unknown; contentType: string | null; url: string }[] = [];
  let requests = 0;

  const problem = (status: number, detail: string, headers: Record<string, string> = {}) =>
    HttpResponse.json(
      { type: "about:blank", title: TITLES[status] ?? "Error", status, detail, instance: `urn:request:local/stand-in-${String(++requests).padStart(6, "0")}` },
      { status, headers: { "content-type": "application/problem+json", ...headers } },
    );

  function faultResponse(fault: Fault): Response | Promise<Response> {
    switch (fault.kind) {
      case "reset":
        return connectionReset();
      case "rate_limit":
        return problem(429, "rate limit exceeded", {
          "x-ratelimit-limit": "100",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 1),
          ...(fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter }),
        });
      case "server_error":
        return problem(fault.status ?? 500, "internal server error");
      case "timeout":
        return unanswered(fault.holdMs, fault.release);
      case "response":
        return HttpResponse.json(fault.body as Record<string, unknown>, { status: fault.status, headers: fault.headers ?? {} });
      default:
        throw new Error(`the OpenMeter stand-in does not play ${fault.kind} before processing`);
    }
  }

  function enter(route: OpenMeterRoute, request: Request, body: unknown): Response | Promise<Response> | "after" | undefined {
    calls.push({ route, body, contentType: request.headers.get("content-type"), url: request.url });
    const fault = faults.take(route);
    if (fault?.kind === "reset_after_processing" || fault?.kind === "timeout_after_processing") return "after";
    if (fault) return faultResponse(fault);
    const auth = request.headers.get("authorization") ?? "";
    const ok = options.token === undefined ? /^Bearer \S+/.test(auth) : auth === `Bearer ${options.token}`;
    return ok ? undefined : problem(401, "invalid API token");
  }

  /** What is wrong with one CloudEvent, if anything. */
  function invalid(event: unknown, index: number): string | undefined {
    if (typeof event !== "object" || event === null || Array.isArray(event)) return `event[${index}] must be an object`;
    const fields = event as Record<string, unknown>;
    if (fields.specversion !== "1.0") return `event[${index}].specversion must be "1.0"`;
    for (const name of ["id", "source", "type", "subject"]) {
      if (typeof fields[name] !== "string" || fields[name] === "") return `event[${index}].${name} is required`;
    }
    if (fields.time !== undefined && fields.time !== null && (typeof fields.time !== "string" || !RFC3339.test(fields.time))) return `event[${index}].time must be an RFC 3339 date-time`;
    if (fields.data !== undefined && fields.data !== null && (typeof fields.data !== "object" || Array.isArray(fields.data))) return `event[${index}].data must be a JSON object`;
    return undefined;
  }

  const handlers: HttpHandler[] = [
    http.post(`${baseUrl}/api/v1/events`, async ({ request }) => {
      const body: unknown = await request.json().catch(() => undefined);
      const refused = enter("ingest", request, body);
      if (refused !== undefined && refused !== "after") return refused;
      const contentType = request.headers.get("content-type") ?? "";
      const batch = contentType.startsWith("application/cloudevents-batch+json");
      if (!batch && !contentType.startsWith("application/cloudevents+json")) return problem(400, `unsupported content type: ${contentType}`);
      const events = batch ? body : [body];
      if (!Array.isArray(events)) return problem(400, "the request body must be an array of CloudEvents");
      for (const [index, event] of events.entries()) {
        const message = invalid(event, index);
        if (message) return problem(400, message);
      }
      for (const event of events as HeldCloudEvent[]) {
        const key = `${event.source}\u0000${event.id}`;
        if (!held.has(key)) held.set(key, event);
      }
      if (refused === "after") return connectionReset();
      return new HttpResponse(null, { status: 204 });
    }),
    http.get(`${baseUrl}/api/v1/meters/:slug`, ({ request, params }) => {
      const refused = enter("meter", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const slug = String(params.slug);
      const meter = meters[slug];
      if (meter === undefined) return problem(404, `meter not found: ${slug}`);
      return HttpResponse.json({
        id: `01JMETER${slug.toUpperCase()}`,
        slug,
        name: slug,
        aggregation: meter.aggregation ?? "SUM",
        eventType: meter.eventType,
        valueProperty: `$.${meter.property ?? "value"}`,
        groupBy: {},
        createdAt: "2026-01-01T00:00:00Z",
        updatedAt: "2026-01-01T00:00:00Z",
      });
    }),
    http.get(`${baseUrl}/api/v1/meters/:slug/query`, ({ request, params }) => {
      const refused = enter("query", request, null);
      if (refused !== undefined && refused !== "after") return refused;
      const slug = String(params.slug);
      const meter = meters[slug];
      if (meter === undefined) return problem(404, `meter not found: ${slug}`);
      const url = new URL(request.url);
      const from = url.searchParams.get("from");
      const to = url.searchParams.get("to");
      const subjects = url.searchParams.getAll("subject");
      const inWindow = (time: number) => (from === null || time >= Date.parse(from)) && (to === null || time <= Date.parse(to));
      const data = [];
      for (const subject of subjects) {
        const values = [...held.values()]
          .filter((event) => event.subject === subject && event.type === meter.eventType && inWindow(Date.parse(event.time ?? "")))
          .map((event) => Number(event.data?.[meter.property ?? "value"] ?? 0));
        if (values.length === 0) continue;
        data.push({ value: values.reduce((a, b) => a + b, 0), windowStart: from, windowEnd: to, subject, groupBy: {} });
      }
      return HttpResponse.json({ from, to, data });
    }),
  ];

  return {
    handlers,
    inject: faults.inject,
    injectRandom: faults.injectRandom,
    faultsServed: faults.served,
    /** Events OpenMeter holds (duplicates by id + source counted once), in arrival order. */
    events: (): HeldCloudEvent[] => [...held.values()],
    /** Requests received, with their parsed bodies, content types and URLs. */
    calls: (route?: OpenMeterRoute) => (route ? calls.filter((call) => call.route === route) : [...calls]),
    reset(): void {
      held.clear();
      calls.length = 0;
      faults.clear();
    },
  };
}

export type OpenMeterStandIn = ReturnType<typeof createOpenMeterStandIn>;
