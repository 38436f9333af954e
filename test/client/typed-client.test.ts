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
