import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import type { CatalogInput } from "../../../src/core/catalog/index.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, INVOICING_CATALOG, use } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";

const pro = INVOICING_CATALOG.plans.pro!;
/** Pro with a 14-day trial that converts, and with a 45-day trial that returns to the default plan. */
const TRIAL_CATALOG: CatalogInput = {
  ...INVOICING_CATALOG,
  plans: {
    ...INVOICING_CATALOG.plans,
    pro_trial: { ...pro, name: "Pro (14-day trial)", trial: { days: 14 } },
    pro_try: { ...pro, name: "Pro (45-day trial, then free)", trial: { days: 45, onEnd: "default" } },
  },
};

const NOW = "2026-11-02T09:00:00.000Z";
const clock = testClock(NOW);
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: TRIAL_CATALOG }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

const lines = (invoice: { lineItems: ReadonlyArray<{ chargeKey: string; quantity: string; amount: number }> }) => invoice.lineItems.map((line) => [line.chargeKey, line.quantity, line.amount]);

describe(`trials (${driverName})`, () => {
  it("does not bill the flat fee or the minimum commitment of a window held wholly on trial, and prices its usage as the plan says", async () => {
    await customer(hub, "trial_whole");
    await hub.assign("trial_whole", "pro_try", { trial: true, effectiveAt: "2026-10-01T00:00:00Z" });
    await use(hub, "trial_whole", "api_calls", 3000, "2026-10-05T00:00:00Z");
    const invoice = await hub.previewInvoice("trial_whole", { period: "2026-10" });
    // (3000 − 1000 included) × 0.5 = 1000; no platform fee of 4900, no true-up to 10,000.
    expect(lines(invoice)).toEqual([
      ["api", "3000", 1000],
      ["payments", "0", 0],
      ["storage", "0", 0],
    ]);
    expect(invoice).toMatchObject({ plan: "pro_try", subtotal: 1000 });
    await hub.runInvoices({ period: "2026-10" });
    const [stored] = (await hub.listInvoices({ customerId: "trial_whole" })).invoices;
    expect(stored).toMatchObject({ plan: "pro_try", subtotal: 1000 });
  });

  it("bills the flat fee of the period the trial converts in (proration none): the window ends on the paid plan", async () => {
    await customer(hub, "trial_convert");
    await hub.assign("trial_convert", "pro_trial", { trial: true, effectiveAt: "2026-10-01T00:00:00Z" });
    await use(hub, "trial_convert", "api_calls", 3000, "2026-10-05T00:00:00Z");
    await use(hub, "trial_convert", "api_calls", 1500, "2026-10-20T00:00:00Z");
    const invoice = await hub.previewInvoice("trial_convert", { period: "2026-10" });
    // Trial part: 2000 × 0.5; paid part: 1500 − 1000 included = 500 × 0.5; the fee once; true-up to 10,000.
    expect(lines(invoice)).toEqual([
      ["api", "3000", 1000],
      ["payments", "0", 0],
      ["storage", "0", 0],
      ["api", "1500", 250],
      ["payments", "0", 0],
      ["storage", "0", 0],
      ["platform", "1", 4900],
      ["minimum_commitment", "1", 3850],
    ]);
    expect(invoice.lineItems[0]!.description).toContain("(plan pro_trial on trial, 2026-10-01T00:00:00Z to 2026-10-15T00:00:00Z)");
    expect(invoice.lineItems[3]!.description).toContain("(plan pro_trial, 2026-10-15T00:00:00Z to 2026-11-01T00:00:00Z)");
  });

  it("writes the trial's end into the plan history when the trial starts: the plan again (convert) or the default plan", async () => {
    await customer(hub, "trial_history");
    await hub.assign("trial_history", "pro_try", { trial: true, effectiveAt: "2026-10-01T00:00:00Z" });
    const history = await hub.planHistory("trial_history");
    expect(history.map((change) => [change.plan, change.onDefaultPlan, change.source, change.effectiveAt?.toISOString(), change.trialEndsAt?.toISOString() ?? null])).toEqual([
      ["pro_try", false, "assign", "2026-10-01T00:00:00.000Z", "2026-11-15T00:00:00.000Z"],
      ["free", true, "trial_end", "2026-11-15T00:00:00.000Z", null],
    ]);
    expect(await hub.getCustomer("trial_history")).toMatchObject({ plan: "pro_try", trialing: true, trialEndsAt: new Date("2026-11-15T00:00:00Z") });
  });

  it("applies the trial plan's limits during the trial and the default plan's once a trial that drops to it has ended", async () => {
    await customer(hub, "trial_limits");
    await hub.assign("trial_limits", "pro_try", { trial: true, effectiveAt: "2026-10-01T00:00:00Z" });
    expect((await hub.check("trial_limits", "api")).limit).toBe(1_000_000);
    clock.set("2026-11-15T00:00:00.000Z");
    try {
      expect(await hub.getCustomer("trial_limits")).toMatchObject({ plan: "free", onDefaultPlan: true, trialing: false });
      expect((await hub.check("trial_limits", "api")).limit).toBe(1000);
    } finally {
      clock.set(NOW);
    }
  });

  it("ends a trial early when the plan is changed during it: the scheduled end is dropped, the change applies from its instant", async () => {
    await customer(hub, "trial_cut");
    await hub.assign("trial_cut", "pro_try", { trial: true, effectiveAt: "2026-10-01T00:00:00Z" });
    await hub.assign("trial_cut", "pro_try", { effectiveAt: "2026-10-20T00:00:00Z" });
    const history = await hub.planHistory("trial_cut");
    expect(history.map((change) => [change.plan, change.source, change.effectiveAt?.toISOString()])).toEqual([
      ["pro_try", "assign", "2026-10-01T00:00:00.000Z"],
      ["pro_try", "assign", "2026-10-20T00:00:00.000Z"],
    ]);
    expect(await hub.getCustomer("trial_cut")).toMatchObject({ plan: "pro_try", trialing: false, trialEndsAt: null });
    const invoice = await hub.previewInvoice("trial_cut", { period: "2026-10" });
    expect(invoice.lineItems.filter((line) => line.chargeKey === "platform").map((line) => line.amount)).toEqual([4900]);
  });

  it("refuses a trial on a plan that offers none, naming the field, and changes nothing", async () => {
    await customer(hub, "trial_none");
    await expect(hub.assign("trial_none", "pro", { trial: true })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "trial" });
    expect(await hub.planHistory("trial_none")).toEqual([]);
  });
});
