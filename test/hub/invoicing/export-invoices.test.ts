import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, use } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";

const clock = testClock("2026-11-02T09:00:00.000Z");
let store: TestStore;
let hub: Hub;
const ODD_ID = 'acme "west", inc';

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub(
    {
      catalog: {
        currency: "USD",
        meters: { api_calls: { aggregation: "sum" } },
        plans: {
          basic: {
            name: "Basic",
            charges: [
              { key: "support", model: "flat", amount: 1999, description: 'Support, "priority"\nweekdays' },
              { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.25", description: "API calls" },
            ],
          },
        },
        defaultPlan: "basic",
      },
    },
    { store, now: clock.now },
  );
  await customer(hub, "zeta");
  await customer(hub, ODD_ID);
  await use(hub, "zeta", "api_calls", 1001, "2026-10-10T00:00:00Z");
  await hub.runInvoices({ period: "2026-10" });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`invoice exports and listings (${driverName})`, () => {
  it("exports a month as CSV: one row per line item, RFC 4180 quoting, amounts in minor and major units", async () => {
    const [odd, zeta] = (await hub.listInvoices({ period: "2026-10" })).invoices;
    const csv = await hub.exportInvoices({ period: "2026-10", format: "csv" });
    const period = "2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z";
    expect(csv).toBe(
      [
        "invoice_number,invoice_id,customer_id,plan,period_from,period_to,currency,line_number,charge_key,meter,description,quantity,amount_minor,amount",
        `1,${odd!.id},"acme ""west"", inc",basic,${period},USD,1,support,,"Support, ""priority""\nweekdays",1,1999,19.99`,
        `1,${odd!.id},"acme ""west"", inc",basic,${period},USD,2,api,api_calls,API calls: 0 × 0.0025 USD,0,0,0.00`,
        `2,${zeta!.id},zeta,basic,${period},USD,1,support,,"Support, ""priority""\nweekdays",1,1999,19.99`,
        `2,${zeta!.id},zeta,basic,${period},USD,2,api,api_calls,API calls: 1001 × 0.0025 USD,1001,250,2.50`,
        "",
      ].join("\r\n"),
    );
  });

  it("exports a month as JSON: the invoices with their lines, by number", async () => {
    const json = JSON.parse(await hub.exportInvoices({ period: "2026-10", format: "json" })) as Array<Record<string, unknown>>;
    expect(json.map((invoice) => [invoice.number, invoice.customerId, invoice.subtotal, (invoice.lineItems as unknown[]).length])).toEqual([
      [1, ODD_ID, 1999, 2],
      [2, "zeta", 2249, 2],
    ]);
    expect(json[1]).toMatchObject({ period: { from: "2026-10-01T00:00:00.000Z", to: "2026-11-01T00:00:00.000Z" }, currency: "USD", status: "issued" });
    expect((json[1]!.lineItems as unknown[])[1]).toEqual({
      lineNumber: 2,
      chargeKey: "api",
      model: "per_unit",
      meter: "api_calls",
      description: "API calls: 1001 × 0.0025 USD",
      quantity: "1001",
      billableQuantity: "1001",
      amount: 250,
      exactAmount: "250.25",
    });
    expect(await hub.exportInvoices({ period: "2026-09", format: "json" })).toBe("[]\n");
    expect(await hub.exportInvoices({ period: "2026-09", format: "csv" })).toBe(`${"invoice_number,invoice_id,customer_id,plan,period_from,period_to,currency,line_number,charge_key,meter,description,quantity,amount_minor,amount"}\r\n`);
  });

  it("lists invoices by number, a page at a time, filtered by customer or month", async () => {
    const first = await hub.listInvoices({ limit: 1 });
    expect(first.invoices.map((invoice) => invoice.number)).toEqual([1]);
    expect(first.invoices[0]).toMatchObject({ customerId: ODD_ID, lineCount: 2, periodKey: "2026-10" });
    const second = await hub.listInvoices({ limit: 1, cursor: first.nextCursor! });
    expect(second).toMatchObject({ invoices: [{ number: 2, customerId: "zeta" }], nextCursor: null });
    expect((await hub.listInvoices({ customerId: "zeta" })).invoices.map((invoice) => invoice.number)).toEqual([2]);
    expect((await hub.listInvoices({ period: "2026-09" })).invoices).toEqual([]);
  });

  it("refuses unknown invoices, formats and malformed filters with clear errors", async () => {
    await expect(hub.getInvoice("inv_missing")).rejects.toMatchObject({ code: "NOT_FOUND", status: 404 });
    await expect(hub.exportInvoices({ period: "2026-10", format: "xml" as never })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "format" });
    await expect(hub.exportInvoices({ period: "10/2026", format: "csv" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "period" });
    await expect(hub.listInvoices({ limit: 0 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "filter.limit" });
    await expect(hub.listInvoices({ cursor: "abc" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "filter.cursor" });
  });
});
