import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineCatalog } from "../../../src/core/catalog/index.ts";
import { createHub, type Hub } from "../../../src/hub.ts";
import { customer } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";

/**
 * Money credits after a yearly → monthly change on Jun 10: the monthly runs invoice Jun 10 → Jul 1,
 * Jul 1 → Aug 1, … before the year's run can invoice the cut yearly window (Jan 1 → Jun 10), which
 * waits for the year to end. A grant in effect before the change must still pay that window: its
 * expiry and rollovers wait for the window's invoice, which draws what is left, and they are
 * written after it.
 */
const catalog = defineCatalog({
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" } },
  features: { api: { type: "metered", meter: "api_calls" } },
  plans: {
    monthly: { name: "Monthly", features: { api: 0 }, charges: [{ key: "base", model: "flat", amount: 1000 }] },
    yearly: { name: "Yearly", interval: "year", features: { api: 0 }, charges: [{ key: "base", model: "flat", amount: 6000 }] },
  },
  defaultPlan: "monthly",
});

const clock = testClock("2026-01-01T00:00:00Z");
let store: TestStore;
let hub: Hub;
let n = 0;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

/** A customer on the yearly plan since Jan 1, 2026, moved to the monthly plan on Jun 10. */
async function yearlyThenMonthly(): Promise<string> {
  const id = `ci_${++n}`;
  clock.set("2026-01-01T00:00:00Z");
  await customer(hub, id, { plan: "yearly", createdAt: "2026-01-01T00:00:00Z" });
  clock.set("2026-06-10T00:00:00Z");
  await hub.customers.assign(id, "monthly");
  return id;
}

/** Runs `period` with the clock at `day`. */
async function runOn(day: string, period: string) {
  clock.set(day);
  return hub.runInvoices({ period });
}

async function credits(id: string, period: string) {
  const { invoices } = await hub.listInvoices({ customerId: id, period });
  const invoice = await hub.getInvoice(invoices[0]!.id);
  return {
    period: [invoice.period.from.toISOString().slice(0, 10), invoice.period.to.toISOString().slice(0, 10)],
    charged: invoice.lineItems.filter((line) => line.model !== "credit").reduce((sum, line) => sum + line.amount, 0),
    credit: invoice.lineItems.filter((line) => line.model === "credit").map((line) => [line.chargeKey, line.amount]),
    subtotal: invoice.subtotal,
  };
}

async function expiries(id: string) {
  return (await hub.credits.history(id)).entries.filter((entry) => entry.kind === "expire").map((entry) => [entry.grantId, entry.amount, entry.reference]);
}

describe(`money credits after a yearly → monthly change (${driverName})`, () => {
  it("pays the cut yearly window from a grant that expired after the change, invoiced after the monthly invoices", async () => {
    const id = await yearlyThenMonthly();
    clock.set("2026-01-01T00:00:00Z");
    await hub.credits.grant(id, { id: "spring", currency: "USD", amount: 10000, effectiveAt: "2026-01-01T00:00:00Z", expiresAt: "2026-07-15T00:00:00Z" });

    await runOn("2026-07-02T00:00:00Z", "2026-06");
    await runOn("2026-08-02T00:00:00Z", "2026-07");
    await runOn("2026-09-02T00:00:00Z", "2026-08");
    expect(await credits(id, "2026-06")).toMatchObject({ period: ["2026-06-10", "2026-07-01"], credit: [["credit:spring", -1000]], subtotal: 0 });
    expect(await credits(id, "2026-07")).toMatchObject({ credit: [["credit:spring", -1000]], subtotal: 0 });
    // Expired on Jul 15, August draws nothing of it; what is left waits for the yearly window.
    expect(await credits(id, "2026-08")).toMatchObject({ credit: [], subtotal: 1000 });
    expect(await expiries(id)).toEqual([]);
    expect((await hub.credits.balance(id)).money).toMatchObject({ available: "8000", drawn: "2000", expired: "0" });

    const year = await runOn("2027-01-02T00:00:00Z", "2026");
    expect(year.invoiced).toBe(1);
    // The yearly window draws what it would have drawn invoiced first: its whole fee.
    expect(await credits(id, "2026")).toEqual({ period: ["2026-01-01", "2026-06-10"], charged: 6000, credit: [["credit:spring", -6000]], subtotal: 0 });
    // Only then does the expiry take the rest: nothing that could pay a window before it was lost.
    expect(await expiries(id)).toEqual([["spring", "2000", "expiry"]]);
    expect((await hub.credits.balance(id)).money).toMatchObject({ available: "0", granted: "10000", drawn: "8000", expired: "2000" });
  });

  it("holds a grant's rollovers for the cut yearly window and applies them once it is invoiced, never below zero", async () => {
    const id = await yearlyThenMonthly();
    clock.set("2026-01-01T00:00:00Z");
    await hub.credits.grant(id, { id: "no-carry", currency: "USD", amount: 8000, rollover: "none", effectiveAt: "2026-01-01T00:00:00Z" });
    await hub.credits.grant(id, { id: "capped", currency: "USD", amount: 3000, priority: 1, rollover: { cap: 500 }, effectiveAt: "2026-01-01T00:00:00Z" });

    await runOn("2026-07-02T00:00:00Z", "2026-06");
    expect((await credits(id, "2026-06")).credit).toEqual([["credit:no-carry", -1000]]);
    // No rollover at Jul 1 yet: the cut yearly window before it is not invoiced.
    expect(await expiries(id)).toEqual([]);

    await runOn("2027-01-02T00:00:00Z", "2026");
    expect((await credits(id, "2026")).credit).toEqual([["credit:no-carry", -6000]]);
    // Settled past the invoiced windows in time order once the yearly one is invoiced: no-carry
    // loses its 1000 left at Jun 10, capped keeps 500 of its 3000.
    expect(await expiries(id)).toEqual([
      ["capped", "2500", "rollover:2026-06-10T00:00:00.000Z"],
      ["no-carry", "1000", "rollover:2026-06-10T00:00:00.000Z"],
    ]);
    const grants = (await hub.credits.balance(id)).grants.map((grant) => [grant.id, grant.remaining, grant.settledThrough.toISOString()]);
    expect(grants).toEqual([["capped", "500", "2026-07-01T00:00:00.000Z"]]);

    // The next monthly invoice draws what was carried, and settles on as before.
    await runOn("2027-01-03T00:00:00Z", "2026-07");
    expect((await credits(id, "2026-07")).credit).toEqual([["credit:capped", -500]]);
  });

  it("settles a grant that took effect after the change at the monthly period end, as before", async () => {
    const id = await yearlyThenMonthly();
    clock.set("2026-06-15T00:00:00Z");
    await hub.credits.grant(id, { id: "june", currency: "USD", amount: 1500, rollover: "none", effectiveAt: "2026-06-15T00:00:00Z" });
    await runOn("2026-07-02T00:00:00Z", "2026-06");
    expect((await credits(id, "2026-06")).credit).toEqual([["credit:june", -1000]]);
    expect(await expiries(id)).toEqual([["june", "500", "rollover:2026-07-01T00:00:00.000Z"]]);
  });
});
