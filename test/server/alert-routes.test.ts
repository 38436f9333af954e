import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { alertsCatalog, webhookSecret } from "../support/alerts.ts";
import { apiHub, READ_KEY, type Call } from "../support/api.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
let hub: Hub;
let call: Call;

beforeAll(async () => {
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, { config: { catalog: alertsCatalog, alerts: { endpoints: { ops: { url: "http://127.0.0.1:9/ops", secret: webhookSecret() } } } } }));
  await hub.upsertCustomer({ id: "acme" });
  await hub.upsertCustomer({ id: "globex" });
  await hub.consume("acme", "api", 85, "acme-1");
  await hub.consume("globex", "api", 10, "globex-1");
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("GET /v1/customers/:id/alerts", () => {
  it("lists the customer's fired alerts with their event and deliveries, to a read key", async () => {
    const { status, body } = await call("GET", "/v1/customers/acme/alerts?alert=api_80", undefined, { key: READ_KEY });
    expect(status).toBe(200);
    expect(body.alerts).toEqual([
      expect.objectContaining({
        alert: "api_80",
        customerId: "acme",
        threshold: "80",
        value: "85",
        window: { start: expect.any(String), end: expect.any(String) },
        event: expect.objectContaining({ type: "alert.usage" }),
        deliveries: [expect.objectContaining({ endpoint: "ops", status: "pending" })],
      }),
    ]);
    expect(body.nextCursor).toBeNull();
  });

  it("answers 404 for an unknown customer", async () => {
    expect(await call("GET", "/v1/customers/nobody/alerts")).toMatchObject({ status: 404, body: { error: { code: "CUSTOMER_NOT_FOUND" } } });
  });
});

describe("GET /v1/alerts", () => {
  it("filters by customer, kind and delivery status", async () => {
    expect((await call("GET", "/v1/alerts?customerId=globex")).body.alerts).toEqual([]);
    expect((await call("GET", "/v1/alerts?kind=usage&status=pending")).body.alerts.map((a: { customerId: string }) => a.customerId)).toEqual(["acme", "acme"]);
  });

  it("refuses an unknown kind or status with 400 naming the field", async () => {
    expect(await call("GET", "/v1/alerts?kind=usage_percent")).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "query.kind" } } });
    expect(await call("GET", "/v1/alerts?status=lost")).toMatchObject({ status: 400, body: { error: { field: "query.status" } } });
    expect(await call("GET", "/v1/alerts?cursor=zzz")).toMatchObject({ status: 400, body: { error: { field: "cursor" } } });
  });
});

describe("POST /v1/alerts/replay", () => {
  it("answers how many dead deliveries it made pending again, to a write key only", async () => {
    expect(await call("POST", "/v1/alerts/replay", { dead: true }, { key: READ_KEY })).toMatchObject({ status: 403 });
    expect(await call("POST", "/v1/alerts/replay", { dead: true })).toMatchObject({ status: 200, body: { replayed: 0, notDead: [] } });
  });

  it("names a firing's deliveries that were not dead, and refuses a body naming both or neither target", async () => {
    const [fired] = (await hub.alerts.list({ customerId: "acme", alert: "api_80" })).alerts;
    expect(await call("POST", "/v1/alerts/replay", { eventId: fired!.id })).toMatchObject({ status: 200, body: { replayed: 0, notDead: [{ eventId: fired!.id, endpoint: "ops", status: "pending" }] } });
    expect(await call("POST", "/v1/alerts/replay", {})).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED" } } });
    expect(await call("POST", "/v1/alerts/replay", { dead: true, eventId: fired!.id })).toMatchObject({ status: 400 });
  });
});
