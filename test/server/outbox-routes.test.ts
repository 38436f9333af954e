import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { createApp } from "../../src/server/app.ts";
import { startServer } from "../../src/server/serve.ts";
import { clearUsage, forwarderConfig, forwarderHub, outboxState } from "../support/forwarder.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";
import { NOW } from "../support/usage-events.ts";
import { waitFor } from "../support/wait.ts";

const WRITE_KEY = "w".repeat(32);
const READ_KEY = "r".repeat(32);
const stripe = createStripeStandIn({ now: () => NOW });
const server = setupServer(...stripe.handlers);

let store: TestStore;
let hub: Hub;
let app: ReturnType<typeof createApp>;

const config = (enabled: boolean) => ({
  ...forwarderConfig({ default: "stripe" }, { forwarder: { enabled, pollIntervalMs: 20 } }),
  server: { apiKeys: [{ key: WRITE_KEY, access: "write" as const }, { key: READ_KEY, access: "read" as const }] },
});

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await forwarderHub(store, config(false));
  app = createApp(hub);
  await hub.upsertCustomer({ id: "rt_a", providerIds: { stripe: "cus_rt_a" } });
  await hub.upsertCustomer({ id: "rt_unlinked" });
});
afterAll(async () => {
  await hub.close();
  server.close();
  await store.cleanup();
});

const call = (path: string, init: { method?: string; key?: string; body?: unknown } = {}) =>
  app.fetch(
    new Request(`http://billhub.test${path}`, {
      method: init.method ?? "GET",
      headers: { "content-type": "application/json", ...(init.key ? { authorization: `Bearer ${init.key}` } : {}) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    }),
  );

describe(`outbox routes (${driverName})`, () => {
  it("GET /v1/outbox answers the status to a read key", async () => {
    await clearUsage(store);
    await hub.record({ customerId: "rt_a", meter: "api_calls", quantity: 1, transactionId: "rt_status" });
    const response = await call("/v1/outbox", { key: READ_KEY });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ totals: { pending: 1, due: 1, delivered: 0, dead: 0 }, providers: [{ provider: "stripe", pending: 1 }] });
    expect((await call("/v1/outbox")).status).toBe(401);
  });

  it("GET /v1/outbox/rows lists filtered rows and refuses a bad filter naming it", async () => {
    await clearUsage(store);
    await hub.record({ customerId: "rt_unlinked", meter: "api_calls", quantity: 1, transactionId: "rt_dead" });
    await hub.outbox.drain();
    const response = await call("/v1/outbox/rows?status=dead&limit=10", { key: READ_KEY });
    const body = (await response.json()) as { rows: Array<{ transactionId: string; lastErrorCode: string }>; nextCursor: string | null };
    expect(body.rows.map((row) => [row.transactionId, row.lastErrorCode])).toEqual([["rt_dead", "PROVIDER_CUSTOMER_MISSING"]]);
    expect(body.nextCursor).toBeNull();
    expect(await (await call("/v1/outbox/rows?status=lost", { key: READ_KEY })).json()).toMatchObject({ error: { code: "VALIDATION_FAILED", field: "query.status" } });
  });

  it("POST /v1/outbox/replay needs a write key, replays dead rows and answers 404 for an unknown transaction", async () => {
    await clearUsage(store);
    await hub.record({ customerId: "rt_unlinked", meter: "api_calls", quantity: 1, transactionId: "rt_replay" });
    await hub.outbox.drain();
    expect((await call("/v1/outbox/replay", { method: "POST", key: READ_KEY, body: { dead: true } })).status).toBe(403);
    expect((await outboxState(store))[0]!.status).toBe("dead");
    const replayed = await call("/v1/outbox/replay", { method: "POST", key: WRITE_KEY, body: { transactionId: "rt_replay", provider: "stripe" } });
    expect(await replayed.json()).toEqual({ replayed: 1, notDead: [], heldBack: 0, heldBackExamples: [] });
    expect((await outboxState(store))[0]).toMatchObject({ status: "pending", attempts: 0 });
    const unknown = await call("/v1/outbox/replay", { method: "POST", key: WRITE_KEY, body: { transactionId: "rt_never" } });
    expect(unknown.status).toBe(404);
    const bad = await call("/v1/outbox/replay", { method: "POST", key: WRITE_KEY, body: { dead: true, provider: "paypal" } });
    expect(bad.status).toBe(400);
  });

  it("documents the routes in /openapi.json", async () => {
    const document = (await (await call("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/v1/outbox", "/v1/outbox/rows", "/v1/outbox/replay"]));
  });
});

describe(`the forwarder inside billhub serve (${driverName})`, () => {
  it("finishes the batch it holds when the server closes", async () => {
    await clearUsage(store);
    stripe.reset();
    const served = await forwarderHub(store, config(true), "real");
    await served.record({ customerId: "rt_a", meter: "api_calls", quantity: 2, transactionId: "rt_on_close" });
    const running = await startServer(served, { port: 0, log: () => {} });
    await running.close();
    expect(stripe.events().map((e) => e.identifier)).toEqual(["rt_on_close"]);
    expect((await outboxState(store))[0]).toMatchObject({ status: "delivered", claim_id: null });
  });

  it("forwards recorded usage while serving, and stops with the server", async () => {
    await clearUsage(store);
    stripe.reset();
    const served = await forwarderHub(store, config(true), "real");
    const running = await startServer(served, { port: 0, log: () => {} });
    try {
      await served.record({ customerId: "rt_a", meter: "api_calls", quantity: 2, transactionId: "rt_served" });
      await waitFor("the served hub to forward the event", () => stripe.events().length > 0, { intervalMs: 25 });
    } finally {
      await running.close();
    }
    expect(stripe.events().map((e) => e.identifier)).toEqual(["rt_served"]);
    expect((await outboxState(store))[0]).toMatchObject({ status: "delivered" });
  });

  it("leaves the outbox to separate forwarders when forwarder.enabled is false", async () => {
    await clearUsage(store);
    stripe.reset();
    const served = await forwarderHub(store, config(false), "real");
    // Due before the server starts: a running forwarder would claim it in its first round.
    await served.record({ customerId: "rt_a", meter: "api_calls", quantity: 2, transactionId: "rt_not_served" });
    const running = await startServer(served, { port: 0, log: () => {} });
    await running.close();
    expect(stripe.calls()).toEqual([]);
    expect((await outboxState(store))[0]).toMatchObject({ status: "pending", attempts: 0 });
  });
});
