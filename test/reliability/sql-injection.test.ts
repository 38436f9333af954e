import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { allRoutes } from "../../src/server/app.ts";
import { openApiDocument } from "../../src/server/openapi.ts";
import type { RouteSpec } from "../../src/server/route.ts";
import { apiHub, type Call } from "../support/api.ts";
import { expectRefusal, tableCounts } from "../support/hostile.ts";
import { ROUTE_BODIES, routePath } from "../support/route-bodies.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { stripePrice, stripeRequest, STRIPE_WEBHOOK_SECRET } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");

/** Strings that would change a query built by concatenation, in PostgreSQL's dialects of quoting. */
const INJECTIONS = [
  "'; DROP TABLE usage_events; --",
  "' OR 1=1 --",
  "' OR '1'='1",
  "\"); DELETE FROM customers; --",
  "$$; DROP TABLE customers; $$",
  "$tag$ TRUNCATE webhook_events $tag$",
  "\\'; DROP TABLE usage_outbox; --",
  "back\\\\slash\\",
  "x\u0000'; DROP TABLE customers; --",
  "%' OR '%'='",
  "$1",
  "E'\\x27'; SELECT pg_sleep(0); --",
  "Robert'); DROP TABLE invoices;--",
];

let store: TestStore;
let hub: Hub;
let call: Call;
let tables: string[];
let n = 0;
const stats = { cases: 0, refused: 0, storedVerbatim: 0, answered: 0 };

beforeAll(async () => {
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, { config: { stripe: { secretKey: "sk_test_injection", webhookSecret: STRIPE_WEBHOOK_SECRET } }, hub: { now: () => NOW } }));
  await hub.upsertCustomer({ id: "c_inj", periodStart: new Date("2026-03-01T00:00:00Z"), periodEnd: new Date("2026-04-01T00:00:00Z") });
  await hub.assign("c_inj", "pro");
  tables = Object.keys(await tableCounts(store));
});
afterAll(async () => {
  console.info(`sql injection: ${stats.cases} cases, ${stats.refused} refused with 4xx, ${stats.storedVerbatim} stored and read back verbatim, ${stats.answered} other 2xx answers; ${tables.length} tables intact`);
  await hub.close();
  await store.cleanup();
});

/** Routes whose answer carries nothing of the input (a filter, a question): there is nothing to read back. */
const NOTHING_TO_ECHO = new Set(["post /v1/usage/stats", "post /v1/entitlements/check", "post /v1/outbox/replay"]);

const keyOf = (spec: RouteSpec) => `${spec.method} ${spec.path}`;

/** Every body with one string leaf or record key replaced by `injection`. */
function injected(value: unknown, injection: string): unknown[] {
  if (typeof value === "string") return [injection];
  if (Array.isArray(value)) return value.flatMap((item, i) => injected(item, injection).map((v) => value.map((x, j) => (j === i ? v : x))));
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    return entries.flatMap(([key, item]) => [
      ...injected(item, injection).map((v) => ({ ...value, [key]: v })),
      // A key of a free-form record (metadata, properties, overrides, filter) is input too.
      ...(["note", "model", "api"].includes(key) ? [{ ...Object.fromEntries(entries.filter(([k]) => k !== key)), [injection]: item }] : []),
    ]);
  }
  return [];
}

function contains(value: unknown, text: string): boolean {
  if (typeof value === "string") return value === text;
  if (Array.isArray(value)) return value.some((item) => contains(item, text));
  if (value !== null && typeof value === "object") return Object.entries(value).some(([k, v]) => k === text || contains(v, text));
  return false;
}

/** Sends one case: refused with a 4xx that writes nothing, or answered 2xx; never 5xx; every table still there and no table shrank. */
async function attempt(method: string, path: string, body: unknown, injection: string, echoes: boolean): Promise<void> {
  const before = await tableCounts(store);
  const answer = await call(method.toUpperCase(), path, body);
  const after = await tableCounts(store);
  stats.cases += 1;
  expect(Object.keys(after), `${method} ${path}`).toEqual(tables);
  // Only a DELETE route removes rows, and only overrides (of the customer in its path).
  for (const table of tables.filter((t) => method !== "delete" || t !== "customer_overrides")) {
    expect(after[table]!, `${table} after ${method} ${path}`).toBeGreaterThanOrEqual(before[table]!);
  }
  if (answer.status >= 400) {
    expectRefusal(answer.status, answer.body);
    expect(after, `${method} ${path} ${JSON.stringify(body)}`).toEqual(before);
    stats.refused += 1;
  } else if (echoes) {
    // What a write route accepted comes back unchanged: in its answer, or (consume answers the
    // decision, not the event) in the ledger's event.
    const stored = path.endsWith("/consume") ? (await call("GET", "/v1/customers/c_inj/events?limit=1000")).body.events.find((e: { transactionId: string }) => e.transactionId === answer.body.transactionId) : answer.body;
    expect(contains(stored, injection), `${method} ${path} answered without ${JSON.stringify(injection)}: ${JSON.stringify(answer.body)}`).toBe(true);
    stats.storedVerbatim += 1;
  } else {
    stats.answered += 1;
  }
}

const pathFor = (spec: RouteSpec, overrides: Record<string, string> = {}) => routePath(spec.path, overrides);

describe("SQL injection strings", () => {
  it("in every field of every body are refused with a 4xx or stored verbatim, and every table survives", async () => {
    const specs = allRoutes(hub).filter((spec) => spec.body !== undefined);
    expect(specs.map(keyOf).filter((key) => ROUTE_BODIES[key] === undefined), "routes with a body but none in ROUTE_BODIES").toEqual([]);
    for (const spec of specs) {
      for (const injection of INJECTIONS) {
        for (const body of injected(ROUTE_BODIES[keyOf(spec)]!((n += 1)), injection)) {
          await attempt(spec.method, pathFor(spec), body, injection, !NOTHING_TO_ECHO.has(keyOf(spec)));
        }
      }
    }
  }, 120_000);

  it("in every path and query parameter of every route are refused or answered, never a store error", async () => {
    const document = openApiDocument(allRoutes(hub), { title: "billhub", version: "1" }) as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
    for (const spec of allRoutes(hub).filter((s) => s.path.startsWith("/v1/"))) {
      const parameters = document.paths[spec.path.replace(/:([A-Za-z]+)/g, "{$1}")]![spec.method]!.parameters ?? [];
      const body = spec.body ? ROUTE_BODIES[keyOf(spec)]!((n += 1)) : undefined;
      for (const injection of INJECTIONS) {
        for (const parameter of parameters) {
          const path = parameter.in === "path" ? pathFor(spec, { [parameter.name]: injection }) : `${pathFor(spec)}?${new URLSearchParams({ [parameter.name]: injection })}`;
          await attempt(spec.method, path, body, injection, false);
        }
      }
    }
  }, 120_000);

  it("are kept verbatim in customer ids, names, metadata, transaction ids and event properties, and read back identical", async () => {
    for (const [i, injection] of INJECTIONS.filter((s) => !s.includes("\u0000")).entries()) {
      const id = `${injection} #${i}`;
      const put = await call("PUT", `/v1/customers/${encodeURIComponent(id)}`, { name: injection, metadata: { [injection]: injection } });
      expect(put.status).toBe(201);
      const read = await call("GET", `/v1/customers/${encodeURIComponent(id)}`);
      expect(read.body).toMatchObject({ id, name: injection, metadata: { [injection]: injection } });

      const transactionId = `${injection.replaceAll(" ", "_")}_${i}`.slice(0, 100);
      const recorded = await call("POST", "/v1/usage", { customerId: id, meter: "api_calls", quantity: "1", transactionId, properties: { [injection]: injection } });
      expect(recorded.status).toBe(201);
      const events = await call("GET", `/v1/customers/${encodeURIComponent(id)}/events`);
      expect(events.body.events).toEqual([expect.objectContaining({ transactionId, properties: { [injection]: injection } })]);
      const filtered = await call("GET", `/v1/customers/${encodeURIComponent(id)}/usage?meter=api_calls&${new URLSearchParams({ [`filter.${injection}`]: injection })}`);
      expect(filtered).toMatchObject({ status: 200, body: { value: "1" } });
    }
    expect(Object.keys(await tableCounts(store))).toEqual(tables);
  });

  it("in a signed Stripe event's ids and keys are stored verbatim in the price history", async () => {
    for (const [i, injection] of INJECTIONS.filter((s) => !s.includes("\u0000")).entries()) {
      const price = stripePrice({ id: `price_${i}${injection}`, lookup_key: injection, nickname: injection });
      const answer = await hub.webhooks.stripe(stripeRequest("price.created", price, { id: `evt_${i}${injection}`, created: NOW }));
      expect(answer.status).toBe(200);
      expect(await hub.priceHistory({ priceId: `price_${i}${injection}` })).toEqual([expect.objectContaining({ priceId: `price_${i}${injection}`, lookupKey: injection })]);
    }
    expect(Object.keys(await tableCounts(store))).toEqual(tables);
  });
});
