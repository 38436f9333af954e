import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { apiHub, READ_KEY, type Call } from "../support/api.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
let hub: Hub;
let call: Call;

beforeAll(async () => {
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, { hub: { now: () => new Date("2026-03-10T12:30:00Z") } }));
  for (const id of ["lr_a", "lr_b", "lr_c"]) await hub.upsertCustomer({ id, email: `${id}@example.test` });
  await hub.record({ customerId: "lr_b", meter: "api_calls", quantity: 3, transactionId: "lr_1", timestamp: "2026-03-10T12:05:00Z" });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`GET /v1/customers and /v1/activity (${driverName})`, () => {
  it("lists customers to a read key a page at a time, and finds them by search", async () => {
    const first = await call("GET", "/v1/customers?limit=2", undefined, { key: READ_KEY });
    expect(first.status).toBe(200);
    expect(first.body.customers.map((c: { id: string }) => c.id)).toHaveLength(2);
    const second = await call("GET", `/v1/customers?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, undefined, { key: READ_KEY });
    expect([...first.body.customers, ...second.body.customers].map((c: { id: string }) => c.id).sort()).toEqual(["lr_a", "lr_b", "lr_c"]);
    expect(second.body.nextCursor).toBeNull();
    const found = await call("GET", "/v1/customers?search=LR_C%40", undefined, { key: READ_KEY });
    expect(found.body.customers.map((c: { id: string }) => c.id)).toEqual(["lr_c"]);
    expect(await call("GET", "/v1/customers?limit=501", undefined, { key: READ_KEY })).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "query.limit" } } });
  });

  it("answers today's usage events and customers, and the hours, to a read key", async () => {
    const answer = await call("GET", "/v1/activity?hours=2", undefined, { key: READ_KEY });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ today: { from: "2026-03-10T00:00:00.000Z", events: "1", customers: 1 }, hours: [{ hour: "2026-03-10T12:00:00.000Z", events: "1", customers: 1 }], lastInvoiceRun: null });
    expect(await call("GET", "/v1/activity?hours=0", undefined, { key: READ_KEY })).toMatchObject({ status: 400, body: { error: { field: "query.hours" } } });
  });
});
