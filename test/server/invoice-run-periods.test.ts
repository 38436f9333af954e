import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { createApp } from "../../src/server/app.ts";
import { testClock } from "../support/ledger.ts";
import { customer, INVOICING_CATALOG, invoicingHub, use } from "../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const WRITE_KEY = "w".repeat(32);
const clock = testClock("2027-01-15T00:00:00.000Z");
let store: TestStore;
let hub: Hub;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  store = await openTestStore();
  const catalog = {
    ...INVOICING_CATALOG,
    plans: {
      ...INVOICING_CATALOG.plans,
      annual: { name: "Annual", interval: "year" as const, charges: [{ key: "platform", model: "flat" as const, amount: 50_000, description: "Annual fee" }] },
      weekly: { name: "Weekly", interval: "week" as const, charges: [{ key: "api", meter: "api_calls", model: "per_unit" as const, unitAmount: "0.1", description: "API calls" }] },
    },
  };
  hub = await invoicingHub(store, clock.now, { config: { catalog, server: { apiKeys: [{ key: WRITE_KEY, access: "write" }] } } });
  app = createApp(hub);
  await customer(hub, "yearly_co", { plan: "annual" });
  await customer(hub, "weekly_co", { plan: "weekly" });
  await use(hub, "weekly_co", "api_calls", 70, "2026-12-31T12:00:00Z");
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

async function call(method: string, path: string, body?: unknown) {
  const response = await app.fetch(
    new Request(`http://billhub.test${path}`, {
      method,
      headers: { authorization: `Bearer ${WRITE_KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe(`invoice routes with year and week periods (${driverName})`, () => {
  it("previews, runs and lists a year and an ISO week", async () => {
    expect(await call("GET", "/v1/customers/yearly_co/invoice-preview?period=2026")).toMatchObject({
      status: 200,
      body: { plan: "annual", period: { from: "2026-01-01T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z" }, subtotal: 50_000 },
    });
    expect(await call("POST", "/v1/invoices/run", { period: "2026" })).toMatchObject({ status: 200, body: { period: "2026", invoiced: 1, skipped: { noPeriod: 1 } } });
    expect(await call("POST", "/v1/invoices/run", { period: "2026-W53" })).toMatchObject({ status: 200, body: { period: "2026-W53", invoiced: 1, skipped: { noPeriod: 1 } } });
    const week = await call("GET", "/v1/invoices?period=2026-W53");
    expect(week.body.invoices).toMatchObject([{ customerId: "weekly_co", periodKey: "2026-W53", period: { from: "2026-12-28T00:00:00.000Z", to: "2027-01-04T00:00:00.000Z" }, subtotal: 7 }]);
  });

  it("refuses bad period keys with 400, the code, the field and a message naming the accepted shapes", async () => {
    for (const bad of ["2026-W54", "2026-13", "26", "2026-W5"]) {
      expect(await call("POST", "/v1/invoices/run", { period: bad }), bad).toMatchObject({
        status: 400,
        body: { error: { code: "VALIDATION_FAILED", field: "period", message: expect.stringContaining('a month "2026-10", a year "2026" or an ISO week "2026-W45"') } },
      });
    }
    expect(await call("POST", "/v1/invoices/run", { period: "2027-W53" })).toMatchObject({
      status: 400,
      body: { error: { code: "VALIDATION_FAILED", field: "period", message: expect.stringContaining("week 53 of 2027, which has 52 ISO weeks") } },
    });
    expect(await call("GET", "/v1/customers/yearly_co/invoice-preview?period=2026-W99")).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "query.period" } } });
    expect(await call("GET", "/v1/customers/yearly_co/invoice-preview?period=2026-11")).toMatchObject({
      status: 400,
      body: { error: { code: "VALIDATION_FAILED", field: "options.period", message: expect.stringContaining("no monthly billing period") } },
    });
  });
});
