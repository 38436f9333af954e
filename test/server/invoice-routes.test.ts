import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { createApp } from "../../src/server/app.ts";
import { testClock } from "../support/ledger.ts";
import { customer, invoicingHub, use } from "../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const WRITE_KEY = "w".repeat(32);
const READ_KEY = "r".repeat(32);
const clock = testClock("2026-11-02T09:00:00.000Z");
let store: TestStore;
let hub: Hub;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  store = await openTestStore();
  hub = await invoicingHub(store, clock.now, { config: { server: { apiKeys: [{ key: WRITE_KEY, access: "write" }, { key: READ_KEY, access: "read" }] } } });
  app = createApp(hub);
  await customer(hub, "acme", { plan: "pro" });
  await use(hub, "acme", "api_calls", 3000, "2026-10-03T10:00:00Z");
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

async function call(method: string, path: string, options: { key?: string; body?: unknown } = {}) {
  const response = await app.fetch(
    new Request(`http://billhub.test${path}`, {
      method,
      headers: { authorization: `Bearer ${options.key ?? READ_KEY}`, ...(options.body === undefined ? {} : { "content-type": "application/json" }) },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe(`invoice routes (${driverName})`, () => {
  it("previews a customer's invoice for a month, a window or the current period", async () => {
    const month = await call("GET", "/v1/customers/acme/invoice-preview?period=2026-10");
    expect(month.status).toBe(200);
    expect(month.body).toMatchObject({ customerId: "acme", plan: "pro", period: { from: "2026-10-01T00:00:00.000Z", to: "2026-11-01T00:00:00.000Z" }, currency: "USD", subtotal: 10_000 });
    expect((month.body.lineItems as Array<Record<string, unknown>>)[1]).toMatchObject({ lineNumber: 2, chargeKey: "api", quantity: "3000", amount: 1000, exactAmount: "1000" });
    const window = await call("GET", "/v1/customers/acme/invoice-preview?from=2026-10-05T00:00:00Z&to=2026-11-01T00:00:00Z");
    expect((window.body.lineItems as Array<Record<string, unknown>>)[1]).toMatchObject({ quantity: "0" });
    expect((await call("GET", "/v1/customers/acme/invoice-preview")).body.period).toEqual({ from: "2026-11-01T00:00:00.000Z", to: "2026-12-01T00:00:00.000Z" });
  });

  it("refuses bad preview queries and unknown customers with JSON errors", async () => {
    expect(await call("GET", "/v1/customers/acme/invoice-preview?period=2026-13")).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "query.period" } } });
    expect(await call("GET", "/v1/customers/acme/invoice-preview?from=2026-10-05T00:00:00Z")).toMatchObject({ status: 400, body: { error: { field: "query.from" } } });
    expect(await call("GET", "/v1/customers/nobody/invoice-preview")).toMatchObject({ status: 404, body: { error: { code: "CUSTOMER_NOT_FOUND" } } });
  });

  it("runs a month with a write key only, then lists and reads the stored invoices", async () => {
    expect(await call("POST", "/v1/invoices/run", { body: { period: "2026-10" } })).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
    expect(await call("POST", "/v1/invoices/run", { key: WRITE_KEY, body: { period: "Oct" } })).toMatchObject({ status: 400, body: { error: { field: "period" } } });
    const run = await call("POST", "/v1/invoices/run", { key: WRITE_KEY, body: { period: "2026-10" } });
    expect(run).toMatchObject({ status: 200, body: { period: "2026-10", invoiced: 1, numbers: { first: 1, last: 1 } } });

    const list = await call("GET", "/v1/invoices?period=2026-10&limit=10");
    expect(list.body).toMatchObject({ invoices: [{ number: 1, customerId: "acme", subtotal: 10_000, lineCount: 5 }], nextCursor: null });
    const id = (list.body.invoices as Array<{ id: string }>)[0]!.id;
    const invoice = await call("GET", `/v1/invoices/${id}`);
    expect(invoice.body).toMatchObject({ id, number: 1, status: "issued", periodKey: "2026-10" });
    expect(invoice.body.lineItems).toHaveLength(5);
    expect(await call("GET", "/v1/invoices/inv_nope")).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    expect(await call("GET", "/v1/invoices?limit=abc")).toMatchObject({ status: 400, body: { error: { field: "query.limit" } } });
  });

  it("documents the routes in /openapi.json", async () => {
    const document = (await call("GET", "/openapi.json")).body as { paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/v1/customers/{id}/invoice-preview", "/v1/invoices", "/v1/invoices/{id}", "/v1/invoices/run"]));
    expect(document.paths["/v1/customers/{id}/invoice-preview"]!.get!.parameters!.map((p) => p.name)).toEqual(["id", "period", "from", "to"]);
  });
});
