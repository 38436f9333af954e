import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, invoicingHub, use } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";

const clock = testClock("2026-11-02T09:00:00.000Z");
const OCTOBER = { from: new Date("2026-10-01T00:00:00.000Z"), to: new Date("2026-11-01T00:00:00.000Z") };
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await invoicingHub(store, clock.now);
  await customer(hub, "acme", { plan: "pro" });
  await use(hub, "acme", "api_calls", 1800, "2026-10-03T10:00:00Z");
  await use(hub, "acme", "api_calls", 1200, "2026-10-20T10:00:00Z");
  await use(hub, "acme", "api_calls", 999, "2026-11-01T00:00:00Z");
  for (const [amount, at] of [[20_000, "2026-10-05T00:00:00Z"], [10_000, "2026-10-06T00:00:00Z"], [5000, "2026-10-07T00:00:00Z"]] as const) {
    await use(hub, "acme", "payments", amount, at);
  }
  await use(hub, "acme", "storage_gb", 12, "2026-10-09T00:00:00Z");
  await use(hub, "acme", "storage_gb", 7, "2026-10-19T00:00:00Z");
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`invoice previews (${driverName})`, () => {
  it("prices a billing month from the ledger's aggregates: line items in charge order, the minimum-commitment true-up last, and their subtotal", async () => {
    const preview = await hub.previewInvoice("acme", { period: "2026-10" });
    expect(preview).toMatchObject({ customerId: "acme", plan: "pro", period: OCTOBER, currency: "USD", subtotal: 10_000 });
    expect(preview.lineItems.map((line) => [line.lineNumber, line.chargeKey, line.quantity, line.amount])).toEqual([
      [1, "platform", "1", 4900],
      // 3,000 calls in October (the 999 at 1 November belong to November), 1,000 included.
      [2, "api", "3000", 1000],
      // The first payment is free; 1.2 % + 10 ¢ on the others: 130 + 70.
      [3, "payments", "35000", 200],
      // Peak storage 12 GB: 10 free, 2 × 25 ¢.
      [4, "storage", "12", 50],
      [5, "minimum_commitment", "1", 3850],
    ]);
    expect(preview.lineItems[2]).toMatchObject({ billedEvents: 2, billableQuantity: "15000" });
  });

  it("defaults to the customer's current billing period (the calendar month without a cycle) and stores nothing", async () => {
    const preview = await hub.previewInvoice("acme");
    expect(preview.period).toEqual({ from: new Date("2026-11-01T00:00:00.000Z"), to: new Date("2026-12-01T00:00:00.000Z") });
    expect(preview.lineItems.find((line) => line.chargeKey === "api")).toMatchObject({ quantity: "999", amount: 0 });
    const { rows } = await store.query<{ n: number }>("SELECT (SELECT count(*) FROM invoices)::int + (SELECT count(*) FROM closed_periods)::int AS n");
    expect(rows[0]!.n).toBe(0);
  });

  it("prices an explicit window", async () => {
    const preview = await hub.previewInvoice("acme", { period: { from: "2026-10-15T00:00:00Z", to: "2026-11-01T00:00:00Z" } });
    expect(preview.lineItems.find((line) => line.chargeKey === "api")).toMatchObject({ quantity: "1200", amount: 100 });
    expect(preview.lineItems.find((line) => line.chargeKey === "storage")).toMatchObject({ quantity: "7", amount: 0 });
  });

  it("gives a customer on the default plan without charges an empty preview", async () => {
    await customer(hub, "free_co");
    expect(await hub.previewInvoice("free_co", { period: "2026-10" })).toMatchObject({ plan: "free", lineItems: [], subtotal: 0 });
  });

  it("takes refunds of a per-event percentage meter off the latest payments, so fees follow the net amount", async () => {
    await customer(hub, "refunds", { plan: "pro" });
    await use(hub, "refunds", "payments", 20_000, "2026-10-01T00:00:00Z");
    await use(hub, "refunds", "payments", 10_000, "2026-10-02T00:00:00Z");
    await use(hub, "refunds", "payments", 5000, "2026-10-03T00:00:00Z");
    await hub.adjust({ customerId: "refunds", meter: "payments", kind: "refund", quantity: 6000, reason: "payment refunded", transactionId: "refunds:refund:1" });
    const usage = await hub.usage({ customerId: "refunds", meter: "payments", window: { from: OCTOBER.from, to: new Date("2026-11-03T00:00:00Z") } });
    expect(usage.value).toBe("29000");
    const preview = await hub.previewInvoice("refunds", { period: { from: OCTOBER.from, to: new Date("2026-11-03T00:00:00Z") } });
    // 20,000 (free), then 10,000 less the 1,000 the refund still takes after the 5,000: 9,000 → 108 + 10.
    expect(preview.lineItems.find((line) => line.chargeKey === "payments")).toMatchObject({ quantity: "29000", billableQuantity: "9000", billedEvents: 1, amount: 118 });
  });

  it("refuses an unknown customer, a malformed period and a window that ends before it starts, naming the field", async () => {
    await expect(hub.previewInvoice("nobody")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    await expect(hub.previewInvoice("acme", { period: "2026-13" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "options.period" });
    await expect(hub.previewInvoice("acme", { period: "October" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "options.period" });
    await expect(hub.previewInvoice("acme", { period: { from: "2026-11-01T00:00:00Z", to: "2026-10-01T00:00:00Z" } })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "options.period.to",
    });
    await expect(hub.previewInvoice("acme", { extra: true } as never)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });

  it("fails a plan that takes its price from a lookup key no synced price holds with CATALOG_INVALID naming the key", async () => {
    await customer(hub, "metered_co", { plan: "metered" });
    await expect(hub.previewInvoice("metered_co", { period: "2026-10" })).rejects.toMatchObject({ code: "CATALOG_INVALID", message: expect.stringContaining('"api_calls"') });
  });
});
