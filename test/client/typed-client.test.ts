import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.ts";
import { BillingError } from "../../src/core/errors.ts";
import type { Hub } from "../../src/hub.ts";
import { createApp } from "../../src/server/app.ts";
import { apiHub, READ_KEY, WRITE_KEY } from "../support/api.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  ({ hub } = await apiHub(store));
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("the typed client, against the app mounted under a base path", () => {
  const client = () => {
    const app = createApp(hub, { basePath: "/api/billing" });
    return createClient({ baseUrl: "https://app.example/api/billing/", apiKey: WRITE_KEY, fetch: (request) => app.fetch(request) });
  };

  it("creates a customer, records usage exactly once, checks and previews it, with the hub's answers as JSON", async () => {
    const billing = client();
    expect(await billing.customers.upsert("client_1", { name: "One" })).toMatchObject({ created: true, customer: { id: "client_1", name: "One" } });
    expect(await billing.customers.assign("client_1", { plan: "pro" })).toMatchObject({ plan: "pro" });
    const first = await billing.usage.record({ customerId: "client_1", meter: "api_calls", quantity: 10500, transactionId: "client_req_1" });
    const retry = await billing.usage.record({ customerId: "client_1", meter: "api_calls", quantity: 10500, transactionId: "client_req_1" });
    expect([first.status, retry.status]).toEqual(["created", "duplicate"]);
    expect(typeof first.event.timestamp).toBe("string");
    expect(await billing.entitlements.check({ customerId: "client_1", feature: "api" })).toMatchObject({ allowed: true, used: 10500 });
    expect((await billing.invoices.preview("client_1")).subtotal).toBe(4900 + 50);
  });

  it("throws the service's refusal as a BillingError with code, field and status, as the hub would", async () => {
    const error = await client()
      .usage.record({ customerId: "client_1", meter: "api_calls", quantity: -1, transactionId: "client_req_2" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BillingError);
    expect(error).toMatchObject({ code: "INVALID_AMOUNT", status: 400, field: "quantity" });
    const app = createApp(hub);
    const reader = createClient({ baseUrl: "http://billhub.test", apiKey: READ_KEY, fetch: (request) => app.fetch(request) });
    await expect(reader.customers.unassign("client_1")).rejects.toMatchObject({ code: "FORBIDDEN", status: 403 });
    await expect(client().customers.get("nobody")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND", status: 404 });
  });

  it("reports an answer that is not billhub's (a proxy's 502 page) as INTERNAL with the status, retryable", async () => {
    const proxied = createClient({ baseUrl: "http://billhub.test", fetch: async () => new Response("<html>Bad gateway</html>", { status: 502 }) });
    await expect(proxied.customers.get("client_1")).rejects.toMatchObject({ code: "INTERNAL", retryable: true, details: { status: 502 } });
  });
});

describe("the typed client reaches every area of the API with typed inputs and the hub's answers", () => {
  const client = () => {
    const app = createApp(hub);
    return createClient({ baseUrl: "http://billhub.test", apiKey: WRITE_KEY, fetch: (request) => app.fetch(request) });
  };

  it("lists customers page by page, keeps plan history, overrides and limit adjustments", async () => {
    const billing = client();
    await billing.customers.upsert("area_1", { name: "Area One", email: "one@area.example" });
    await billing.customers.upsert("area_2");
    const page = await billing.customers.list({ search: "area_", limit: 1 });
    expect(page.customers.map((c) => c.id)).toEqual(["area_1"]);
    expect((await billing.customers.list({ search: "area_", cursor: page.nextCursor! })).customers.map((c) => c.id)).toEqual(["area_2"]);
    await billing.customers.assign("area_1", { plan: "pro" });
    const { changes } = await billing.customers.planHistory("area_1");
    expect(changes.at(-1)).toMatchObject({ plan: "pro", source: "assign" });
    expect(typeof changes.at(-1)!.effectiveAt).toBe("string");
    expect((await billing.customers.override("area_1", { api: 50_000 })).overrides).toMatchObject({ api: { limit: "50000" } });
    expect((await billing.customers.clearOverride("area_1", ["api"])).overrides).toEqual({});
    const adjusted = await billing.customers.adjustLimit("area_1", { id: "adj_area_1", feature: "api", amount: 1000, reason: "launch week", endsAt: "2099-01-01T00:00:00Z" });
    expect(adjusted.status).toBe("created");
    expect((await billing.customers.listAdjustments("area_1", { includeEnded: true })).adjustments.map((a) => a.id)).toEqual(["adj_area_1"]);
    expect((await billing.customers.endAdjustment("area_1", "adj_area_1")).id).toBe("adj_area_1");
    expect((await billing.customers.listAdjustments("area_1")).adjustments).toEqual([]);
    expect((await billing.customers.subscriptions("area_1")).subscriptions).toEqual([]);
    expect(await billing.customers.unassign("area_1")).toMatchObject({ plan: "free" });
  });

  it("reads usage back as totals, stats, events and resets (hub.usage, hub.ledger.*), with Date and number query parameters", async () => {
    const billing = client();
    await billing.customers.upsert("area_3");
    await billing.customers.assign("area_3", { plan: "pro" });
    await billing.usage.recordBatch([
      { customerId: "area_3", meter: "api_calls", quantity: 5, transactionId: "area_3_a" },
      { customerId: "area_3", meter: "api_calls", quantity: 7, transactionId: "area_3_b" },
    ]);
    expect(await billing.usage.get("area_3", { meter: "api_calls", window: "month" })).toMatchObject({ value: "12" });
    expect(await billing.usage.get("area_3", { meter: "api_calls", window: "month", "filter.model": "gpt-5" })).toMatchObject({ value: "0" });
    const from = new Date(Date.now() - 3_600_000);
    const to = new Date(Date.now() + 3_600_000);
    expect((await billing.ledger.stats("area_3", { meter: "api_calls", groupBy: "day", from, to })).total).toBe("12");
    expect((await billing.ledger.batchStats({ customerIds: ["area_3"], meters: ["api_calls"], groupBy: "day", window: { from, to } })).stats).toHaveLength(1);
    const events = await billing.ledger.events("area_3", { limit: 1, order: "asc" });
    expect(events.events.map((e) => e.transactionId)).toEqual(["area_3_a"]);
    await billing.ledger.reset("area_3", { feature: "api", reason: "support ticket 7" });
    expect((await billing.ledger.resets("area_3", { feature: "api" })).resets).toHaveLength(1);
    expect(await billing.usage.get("area_3", { feature: "api" })).toMatchObject({ value: "0" });
    const activity = await billing.usage.activity({ hours: 2 });
    expect(activity.hours.length).toBeGreaterThan(0);
    expect(Number(activity.today.events)).toBeGreaterThanOrEqual(2);
  });

  it("grants and reads credits, reads the catalog, the outbox and the alerts", async () => {
    const billing = client();
    await billing.customers.upsert("area_4");
    const granted = await billing.credits.grant("area_4", { id: "grant_area_4", amount: "500", feature: "api", source: "promotion" });
    expect(granted.status).toBe("created");
    expect((await billing.credits.history("area_4", { limit: 10 })).entries).toHaveLength(1);
    expect((await billing.credits.expiring("area_4", { until: new Date("2100-01-01T00:00:00Z") })).expiries).toEqual([]);
    expect(JSON.stringify(await billing.credits.balance("area_4"))).toContain("500");
    expect(await billing.credits.takeBack("area_4", "grant_area_4", { reason: "refund area_4" })).toMatchObject({ status: "taken_back", amount: "500", grant: { remaining: "0" } });
    expect((await billing.catalog.get()).defaultPlan).toBe("free");
    expect((await billing.catalog.plans()).plans.map((p) => p.key)).toEqual(["free", "pro", "enterprise"]);
    expect((await billing.catalog.plan("pro")).name).toBe("Pro");
    await expect(billing.catalog.plan("gold")).rejects.toMatchObject({ code: "NOT_FOUND", status: 404, field: "key" });
    expect((await billing.prices.history({ current: true })).prices).toEqual([]);
    expect((await billing.webhooks.events({ limit: 5 })).events).toEqual([]);
    expect(await billing.outbox.status()).toBeTypeOf("object");
    expect((await billing.outbox.list({ limit: 5 })).rows).toEqual([]);
    expect((await billing.alerts.list({ customerId: "area_4", limit: 5 })).alerts).toEqual([]);
    await expect(billing.alerts.replay({})).rejects.toMatchObject({ code: "VALIDATION_FAILED", status: 400, field: "eventId" });
  });
});

