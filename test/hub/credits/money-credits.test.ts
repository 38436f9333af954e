import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { customer, use } from "../../support/invoicing.ts";
import { openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";
import { creditsCatalog } from "./credits-catalog.ts";

// Starter bills 2000 (flat) + 10 per API call a month, in USD minor units.
const clock = testClock("2026-03-10T00:00:00Z");
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: creditsCatalog }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

async function invoiceOf(customerId: string, period: string) {
  const { invoices } = await hub.listInvoices({ customerId, period });
  return hub.getInvoice(invoices[0]!.id);
}

describe("money credits on invoices", () => {
  it("draws credits as negative lines in draw order, never below zero, carries the rest and equals the preview", async () => {
    clock.set("2026-03-10T00:00:00Z");
    await customer(hub, "m1", { plan: "starter" });
    await use(hub, "m1", "api_calls", 50, "2026-03-05T00:00:00Z");
    await hub.credits.grant("m1", { id: "promo", currency: "USD", amount: 1000, source: "promotion", priority: 0, effectiveAt: "2026-03-01T00:00:00Z" });
    await hub.credits.grant("m1", { id: "bought", currency: "usd", amount: 5000, source: "purchase", priority: 1, effectiveAt: "2026-03-01T00:00:00Z" });
    clock.set("2026-04-02T00:00:00Z");
    const preview = await hub.previewInvoice("m1", { period: "2026-03" });
    await hub.runInvoices({ period: "2026-03" });
    const march = await invoiceOf("m1", "2026-03");
    expect(march.subtotal).toBe(0);
    expect(march.lineItems.map((line) => [line.chargeKey, line.model, line.amount])).toEqual([
      ["base", "flat", 2000],
      ["calls", "per_unit", 500],
      ["credit:promo", "credit", -1000],
      ["credit:bought", "credit", -1500],
    ]);
    expect(preview.lineItems).toEqual(march.lineItems);
    expect(preview.subtotal).toBe(0);
    expect((await hub.credits.balance("m1")).money).toEqual({ currency: "USD", available: "3500", scheduled: "0", granted: "6000", drawn: "2500", expired: "0" });

    // A re-run finds the invoice written and draws nothing again.
    await hub.runInvoices({ period: "2026-03" });
    expect((await hub.credits.balance("m1")).money.drawn).toBe("2500");

    clock.set("2026-05-02T00:00:00Z");
    await hub.runInvoices({ period: "2026-04" });
    const april = await invoiceOf("m1", "2026-04");
    expect(april.lineItems.map((line) => [line.chargeKey, line.amount])).toEqual([
      ["base", 2000],
      ["calls", 0],
      ["credit:bought", -2000],
    ]);
    expect(april.subtotal).toBe(0);
    expect((await hub.credits.balance("m1")).money.available).toBe("1500");
  });

  it("expires what the rollover policy does not carry past the invoiced period, and what expired in it", async () => {
    clock.set("2026-03-10T00:00:00Z");
    await customer(hub, "m2", { plan: "starter" });
    await hub.credits.grant("m2", { id: "use-it", currency: "USD", amount: 1500, rollover: "none", effectiveAt: "2026-03-01T00:00:00Z" });
    await hub.credits.grant("m2", { id: "capped", currency: "USD", amount: 1000, rollover: { cap: 300 }, priority: 1, effectiveAt: "2026-03-01T00:00:00Z" });
    await hub.credits.grant("m2", { id: "short", currency: "USD", amount: 700, priority: 2, effectiveAt: "2026-03-01T00:00:00Z", expiresAt: "2026-03-20T00:00:00Z" });
    await hub.credits.grant("m2", { id: "next-month", currency: "USD", amount: 400, effectiveAt: "2026-04-05T00:00:00Z" });
    clock.set("2026-04-02T00:00:00Z");
    await hub.runInvoices({ period: "2026-03" });
    // 2000 owed: use-it 1500, capped 500 (then 500 left, 300 carried), short untouched and expired.
    expect((await invoiceOf("m2", "2026-03")).lineItems.filter((line) => line.model === "credit").map((line) => [line.chargeKey, line.amount])).toEqual([
      ["credit:use-it", -1500],
      ["credit:capped", -500],
    ]);
    const balance = await hub.credits.balance("m2");
    expect(balance.money).toEqual({ currency: "USD", available: "300", scheduled: "400", granted: "3600", drawn: "2000", expired: "900" });
    const expired = (await hub.credits.history("m2")).entries.filter((entry) => entry.kind === "expire").map((entry) => [entry.grantId, entry.amount, entry.reference, entry.at.toISOString()]);
    expect(expired).toEqual([
      ["capped", "200", "rollover:2026-04-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z"],
      ["short", "700", "expiry", "2026-03-20T00:00:00.000Z"],
    ]);
  });

  it("shows credits in a preview without drawing them", async () => {
    clock.set("2026-03-10T00:00:00Z");
    await customer(hub, "m3", { plan: "starter" });
    await hub.credits.grant("m3", { id: "g", currency: "USD", amount: 100, effectiveAt: "2026-03-01T00:00:00Z" });
    clock.set("2026-04-02T00:00:00Z");
    const preview = await hub.previewInvoice("m3", { period: "2026-03" });
    expect(preview.subtotal).toBe(1900);
    // A preview reads; it draws nothing.
    expect((await hub.credits.balance("m3")).money.available).toBe("100");
  });
});
