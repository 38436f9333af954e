import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { allRoutes, createApp } from "../../src/server/app.ts";
import type { RouteSpec } from "../../src/server/route.ts";
import { apiHub, READ_KEY, WRITE_KEY } from "../support/api.ts";
import { tableCounts } from "../support/hostile.ts";
import { CUSTOMER, ROUTE_BODIES, routePath } from "../support/route-bodies.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { FLOWGLAD_BASE } from "../support/webhook-hub.ts";
import { FLOWGLAD_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
let store: TestStore;
let hub: Hub;
let app: ReturnType<typeof createApp>;
let routes: RouteSpec[];
let n = 0;
const counts = { unauthorized: 0, forbidden: 0, publicAnswered: 0 };

/** Authorization headers that carry no valid key (undefined: no header at all). */
const NO_VALID_KEY: (string | undefined)[] = [
  undefined,
  "",
  "Bearer",
  "Bearer ",
  `Bearer ${WRITE_KEY}x`,
  `Bearer ${WRITE_KEY.slice(0, -1)}`,
  `Bearer ${WRITE_KEY.toUpperCase()}`,
  `Bearer ${WRITE_KEY} ${WRITE_KEY}`,
  `Basic ${Buffer.from(`user:${WRITE_KEY}`).toString("base64")}`,
  `Token ${WRITE_KEY}`,
  WRITE_KEY,
  `Bearer "${WRITE_KEY}"`,
  "Bearer ' OR 1=1 --",
  `Bearer ${"a".repeat(10_000)}`,
];

beforeAll(async () => {
  store = await openTestStore();
  const webhooks = {
    stripe: { secretKey: "sk_test_keys", webhookSecret: STRIPE_WEBHOOK_SECRET },
    flowglad: { secretKey: "sk_test_keys", baseUrl: FLOWGLAD_BASE, webhookSecret: FLOWGLAD_WEBHOOK_SECRET },
  };
  ({ hub } = await apiHub(store, { config: webhooks, hub: { now: () => NOW } }));
  app = createApp(hub);
  routes = allRoutes(hub);
  await hub.upsertCustomer({ id: CUSTOMER, periodStart: new Date("2026-03-01T00:00:00Z"), periodEnd: new Date("2026-04-01T00:00:00Z") });
  await hub.assign(CUSTOMER, "pro");
});
afterAll(async () => {
  console.info(`api keys: ${routes.filter((r) => r.access !== "public").length} keyed routes, ${counts.unauthorized} answered 401 without a valid key, ${counts.forbidden} write calls answered 403 to a read key, ${counts.publicAnswered} public calls answered without a key`);
  await hub.close();
  await store.cleanup();
});

async function send(spec: RouteSpec, authorization: string | undefined, query = ""): Promise<{ status: number; body: any }> {
  const body = ROUTE_BODIES[`${spec.method} ${spec.path}`]?.((n += 1));
  const response = await app.fetch(
    new Request(`http://billhub.test${routePath(spec.path)}${query}`, {
      method: spec.method.toUpperCase(),
      headers: { "content-type": "application/json", ...(authorization === undefined ? {} : { authorization }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  const text = await response.text();
  return { status: response.status, body: response.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : text };
}

describe("API keys on every route", () => {
  it("puts every /v1 route behind a key, and only health, metrics, the document and webhooks in public", () => {
    expect(routes.filter((r) => r.access === "public").map((r) => r.path).sort()).toEqual(["/healthz", "/metrics", "/readyz", "/webhooks/flowglad", "/webhooks/stripe"]);
    expect(routes.filter((r) => r.path.startsWith("/v1/")).every((r) => r.access === "read" || r.access === "write")).toBe(true);
  });

  it("answers 401 UNAUTHORIZED on every keyed route without a valid key (none, wrong, malformed, in the query string), and writes nothing", async () => {
    const before = await tableCounts(store);
    for (const spec of routes.filter((r) => r.access !== "public")) {
      for (const authorization of NO_VALID_KEY) {
        const answer = await send(spec, authorization);
        expect(answer, `${spec.method} ${spec.path} with ${JSON.stringify(authorization?.slice(0, 60))}`).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED", message: expect.stringMatching(/API key/) } } });
        counts.unauthorized += 1;
      }
      const inQuery = await send(spec, undefined, `?api_key=${WRITE_KEY}`);
      expect(inQuery.status, `${spec.method} ${spec.path} with the key in the query`).toBe(401);
      counts.unauthorized += 1;
    }
    expect(await tableCounts(store)).toEqual(before);
  });

  it("answers 403 FORBIDDEN to a read-only key on every write route, before anything is written; the write key gets past it", async () => {
    for (const spec of routes.filter((r) => r.access === "write")) {
      const before = await tableCounts(store);
      const answer = await send(spec, `Bearer ${READ_KEY}`);
      expect(answer, `${spec.method} ${spec.path}`).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN", message: expect.stringContaining("read-only") } } });
      expect(await tableCounts(store), `${spec.method} ${spec.path}`).toEqual(before);
      counts.forbidden += 1;
      // The same request with the write key is not refused for its key: the 403 was the key's.
      expect([401, 403], `${spec.method} ${spec.path} with the write key`).not.toContain((await send(spec, `Bearer ${WRITE_KEY}`)).status);
    }
  });

  it("lets a read-only key call every read route", async () => {
    for (const spec of routes.filter((r) => r.access === "read")) {
      expect([401, 403], `${spec.method} ${spec.path}`).not.toContain((await send(spec, `bearer ${READ_KEY}`)).status);
    }
  });

  it("needs no key on public routes: webhooks answer by their signature (400 unsigned), health and metrics answer 200", async () => {
    for (const spec of routes.filter((r) => r.access === "public")) {
      const answer = await send(spec, undefined);
      expect(answer.status, `${spec.method} ${spec.path}`).toBe(spec.path.startsWith("/webhooks/") ? 400 : 200);
      if (spec.path.startsWith("/webhooks/")) expect(answer.body.error.code).toBe("WEBHOOK_SIGNATURE_INVALID");
      counts.publicAnswered += 1;
    }
  });
});
