import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import type { CatalogInput } from "../../../src/core/catalog/index.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, INVOICING_CATALOG, use } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";

const annual = {
  name: "Annual",
  interval: "year" as const,
  charges: [
    { key: "platform", model: "flat" as const, amount: 50_000, description: "Annual fee" },
    { key: "api", meter: "api_calls", model: "per_unit" as const, unitAmount: "0.5", description: "API calls" },
  ],
};
const catalog = (proration: "none" | "day"): CatalogInput => ({
  ...INVOICING_CATALOG,
  proration,
  plans: {
    ...INVOICING_CATALOG.plans,
    basic: {
      name: "Basic",
      charges: [
        { key: "platform", model: "flat", amount: 2_000, description: "Monthly fee" },
        { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.25", description: "API calls" },
      ],
    },
    annual,
    annual_trial: { ...annual, name: "Annual (30-day trial)", trial: { days: 30 } },
    weekly: {
      name: "Weekly",
      interval: "week",
      charges: [
        { key: "platform", model: "flat", amount: 1_500, description: "Weekly fee" },
        { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.1", description: "API calls" },
      ],
    },
  },
});

// Late enough that 2026, its last ISO week (2026-W53) and 2027-W01 have ended.
const clock = testClock("2027-01-15T00:00:00.000Z");
let store: TestStore;
let hub: Hub;
let byDay: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: catalog("none") }, { store, now: clock.now });
  byDay = await createHub({ catalog: catalog("day") }, { store, now: clock.now });
  await customer(hub, "m_basic", { plan: "basic" });
  await customer(hub, "y_annual", { plan: "annual" });
  await customer(hub, "w_weekly", { plan: "weekly" });
  // Monthly until Mar 15, yearly from then on.
  await customer(hub, "to_yearly", { plan: "basic" });
  await hub.customers.assign("to_yearly", "annual", { effectiveAt: "2026-03-15T00:00:00Z" });
  // Yearly until Jun 10, monthly from then on.
  await customer(hub, "to_monthly", { plan: "annual" });
  await hub.customers.assign("to_monthly", "basic", { effectiveAt: "2026-06-10T00:00:00Z" });
  // A yearly cycle anchored on Feb 29: the 2026 run bills Feb 28, 2025 → Feb 28, 2026.
  await customer(hub, "y_leap", { plan: "annual", createdAt: "2024-02-29T00:00:00Z", periodStart: "2024-02-29T00:00:00Z", periodEnd: "2025-02-28T00:00:00Z" });
  await customer(hub, "y_trial");
  await hub.customers.assign("y_trial", "annual_trial", { trial: true, effectiveAt: "2026-01-01T00:00:00Z" });

  await use(hub, "m_basic", "api_calls", 400, "2026-03-10T00:00:00Z");
  await use(hub, "to_yearly", "api_calls", 100, "2026-03-10T00:00:00Z");
  await use(hub, "to_yearly", "api_calls", 1000, "2026-03-20T00:00:00Z");
  await use(hub, "to_monthly", "api_calls", 200, "2026-06-01T00:00:00Z");
  await use(hub, "to_monthly", "api_calls", 40, "2026-06-20T00:00:00Z");
  await use(hub, "y_annual", "api_calls", 300, "2026-08-01T00:00:00Z");
  await use(hub, "y_leap", "api_calls", 10, "2026-02-27T23:59:59Z");
  await use(hub, "y_leap", "api_calls", 20, "2026-02-28T00:00:00Z");
  await use(hub, "w_weekly", "api_calls", 70, "2026-12-31T12:00:00Z");
  await use(hub, "w_weekly", "api_calls", 90, "2027-01-05T12:00:00Z");
});
afterAll(async () => {
  await hub.close();
  await byDay.close();
  await store.cleanup();
});

const windows = async (period: string) =>
  (await hub.invoices.list({ period })).invoices.map((invoice) => [invoice.customerId, invoice.period.from.toISOString(), invoice.period.to.toISOString(), invoice.subtotal]);

describe(`invoice runs per billing interval (${driverName})`, () => {
  it("a month's run bills only the monthly customers, and a customer who moved to a yearly plan up to the move", async () => {
    const preview = await hub.invoices.preview("to_yearly", { period: "2026-03" });
    const result = await hub.invoices.run({ period: "2026-03" });
    expect(result).toMatchObject({ period: "2026-03", invoiced: 2, failed: [], skipped: { noPeriod: 5, notEnded: 0, covered: 0 } });
    expect(await windows("2026-03")).toEqual([
      // 2000 + 400 × 0.25
      ["m_basic", "2026-03-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z", 2_100],
      // 2000 + 100 × 0.25: the call of Mar 20 was made on the yearly plan.
      ["to_yearly", "2026-03-01T00:00:00.000Z", "2026-03-15T00:00:00.000Z", 2_025],
    ]);
    expect(preview).toMatchObject({ period: { from: new Date("2026-03-01T00:00:00Z"), to: new Date("2026-03-15T00:00:00Z") }, subtotal: 2_025 });
  });

  it("the year's run bills only the yearly customers: the calendar year, the Feb 29 anchor's year, and the moves' yearly parts", async () => {
    const preview = await hub.invoices.preview("to_yearly", { period: "2026" });
    const result = await hub.invoices.run({ period: "2026" });
    expect(result).toMatchObject({ period: "2026", invoiced: 5, failed: [], skipped: { noPeriod: 2 } });
    expect(await windows("2026")).toEqual([
      ["to_monthly", "2026-01-01T00:00:00.000Z", "2026-06-10T00:00:00.000Z", 50_000 + 100],
      ["to_yearly", "2026-03-15T00:00:00.000Z", "2027-01-01T00:00:00.000Z", 50_000 + 500],
      ["y_annual", "2026-01-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z", 50_000 + 150],
      // 10 calls before the anchor day, in the period that ends on Feb 28, 2026.
      ["y_leap", "2025-02-28T00:00:00.000Z", "2026-02-28T00:00:00.000Z", 50_000 + 5],
      ["y_trial", "2026-01-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z", 50_000],
    ]);
    expect(preview.subtotal).toBe(50_500);
  });

  it("an ISO week's run bills only the weekly customers, across the year boundary: 2026-W53 then 2027-W01", async () => {
    expect(await hub.invoices.run({ period: "2026-W53" })).toMatchObject({ invoiced: 1, skipped: { noPeriod: 6 } });
    expect(await hub.invoices.run({ period: "2027-W01" })).toMatchObject({ invoiced: 1, skipped: { noPeriod: 6 } });
    expect(await windows("2026-W53")).toEqual([["w_weekly", "2026-12-28T00:00:00.000Z", "2027-01-04T00:00:00.000Z", 1_507]]);
    expect(await windows("2027-W01")).toEqual([["w_weekly", "2027-01-04T00:00:00.000Z", "2027-01-11T00:00:00.000Z", 1_509]]);
  });

  it("bills a move from yearly to monthly from the move in that month's run, and never an instant twice nor none", async () => {
    await hub.invoices.run({ period: "2026-01" });
    await hub.invoices.run({ period: "2026-02" });
    await hub.invoices.run({ period: "2026-06" });
    expect((await windows("2026-06")).find(([id]) => id === "to_monthly")).toEqual(["to_monthly", "2026-06-10T00:00:00.000Z", "2026-07-01T00:00:00.000Z", 2_010]);
    for (const id of ["to_yearly", "to_monthly"]) {
      const billed = (await hub.invoices.list({ customerId: id })).invoices.map((invoice) => invoice.period).sort((a, b) => a.from.getTime() - b.from.getTime());
      for (let i = 1; i < billed.length; i += 1) expect(billed[i]!.from, id).toEqual(billed[i - 1]!.to);
    }
    const toYearly = (await hub.invoices.list({ customerId: "to_yearly" })).invoices.map((invoice) => [invoice.periodKey, invoice.period.from.toISOString()]);
    expect(toYearly).toEqual([
      ["2026-03", "2026-03-01T00:00:00.000Z"],
      ["2026", "2026-03-15T00:00:00.000Z"],
      ["2026-01", "2026-01-01T00:00:00.000Z"],
      ["2026-02", "2026-02-01T00:00:00.000Z"],
    ]);
    // The yearly customers are not billed by any month's run.
    expect((await hub.invoices.list({ customerId: "y_annual" })).invoices.map((invoice) => invoice.periodKey)).toEqual(["2026"]);
  });

  it("is resumable per interval: running a year or a week again invoices no one twice, and their periods are closed", async () => {
    expect(await hub.invoices.run({ period: "2026" })).toMatchObject({ invoiced: 0, alreadyInvoiced: 5 });
    expect(await hub.invoices.run({ period: "2026-W53" })).toMatchObject({ invoiced: 0, alreadyInvoiced: 1 });
    await expect(use(hub, "y_annual", "api_calls", 1, "2026-11-11T00:00:00Z")).rejects.toMatchObject({ code: "PERIOD_CLOSED" });
    await expect(use(hub, "w_weekly", "api_calls", 1, "2027-01-03T00:00:00Z")).rejects.toMatchObject({ code: "PERIOD_CLOSED" });
  });

  it("prorates by day a yearly fee over the year's real length, and a monthly fee over the month, when a move cuts the period", async () => {
    // Mar 15 → Jan 1 is 292 of 2026's 365 days: 50000 × 292/365 = 40000; Mar 1 → 15 is 14 of 31 days: 2000 × 14/31 = 903.2 → 903.
    await customer(byDay, "prorated", { plan: "basic" });
    await byDay.customers.assign("prorated", "annual", { effectiveAt: "2026-03-15T00:00:00Z" });
    const year = await byDay.invoices.preview("prorated", { period: "2026" });
    expect(year.lineItems.filter((line) => line.chargeKey === "platform").map((line) => [line.amount, line.description])).toEqual([
      [40_000, "Annual fee (plan annual, 2026-03-15T00:00:00Z to 2027-01-01T00:00:00Z: 292 of 365 days)"],
    ]);
    const march = await byDay.invoices.preview("prorated", { period: "2026-03" });
    expect(march.lineItems.filter((line) => line.chargeKey === "platform").map((line) => line.amount)).toEqual([903]);
    // A 30-day trial on a yearly plan: no fee for the trial, 335 of 365 days after it (45890.41… → 45890).
    await customer(byDay, "trial_day");
    await byDay.customers.assign("trial_day", "annual_trial", { trial: true, effectiveAt: "2026-01-01T00:00:00Z" });
    const trial = await byDay.invoices.preview("trial_day", { period: "2026" });
    expect(trial.lineItems.filter((line) => line.chargeKey === "platform").map((line) => line.amount)).toEqual([45_890]);
  });

  it("bills a customer who left the month for a week and came back on one April invoice around the week, whichever run comes first", async () => {
    // Weekly for 2026-W15 (Apr 6 → Apr 13), monthly before and after.
    const flipFlop = async (id: string) => {
      await customer(hub, id, { plan: "basic" });
      await hub.customers.assign(id, "weekly", { effectiveAt: "2026-04-06T00:00:00Z" });
      await hub.customers.assign(id, "basic", { effectiveAt: "2026-04-13T00:00:00Z" });
      await use(hub, id, "api_calls", 100, "2026-04-02T00:00:00Z");
      await use(hub, id, "api_calls", 50, "2026-04-08T00:00:00Z");
      await use(hub, id, "api_calls", 200, "2026-04-20T00:00:00Z");
    };
    const lines = async (id: string, period: string) => {
      const [summary] = (await hub.invoices.list({ customerId: id, period })).invoices;
      if (summary === undefined) return undefined;
      const invoice = await hub.invoices.get(summary.id);
      return { window: [invoice.period.from.toISOString(), invoice.period.to.toISOString()], subtotal: invoice.subtotal, lines: invoice.lineItems.map((line) => [line.description, line.amount]) };
    };
    // flip: the week's run comes first and bills the week; April's run then bills April around it.
    await flipFlop("flip");
    await hub.invoices.run({ period: "2026-W15" });
    // flop: April's run comes first and bills the week too, on the plan held then; the week's run finds it covered.
    await flipFlop("flop");
    await hub.invoices.run({ period: "2026-04" });
    expect(await hub.invoices.run({ period: "2026-W15" })).toMatchObject({ invoiced: 0, skipped: { covered: 1 } });

    expect(await lines("flip", "2026-W15")).toEqual({ window: ["2026-04-06T00:00:00.000Z", "2026-04-13T00:00:00.000Z"], subtotal: 1_505, lines: [["Weekly fee", 1_500], ["API calls: 50 × 0.001 USD", 5]] });
    expect(await lines("flip", "2026-04")).toEqual({
      window: ["2026-04-01T00:00:00.000Z", "2026-05-01T00:00:00.000Z"],
      subtotal: 2_075,
      lines: [
        ["API calls: 100 × 0.0025 USD (plan basic, 2026-04-01T00:00:00Z to 2026-04-06T00:00:00Z)", 25],
        ["API calls: 200 × 0.0025 USD (plan basic, 2026-04-13T00:00:00Z to 2026-05-01T00:00:00Z)", 50],
        ["Monthly fee", 2_000],
      ],
    });
    expect(await lines("flop", "2026-W15")).toBeUndefined();
    // Without proration the plan held at the window's end bills the fee: the week's usage is billed, its fee is not.
    expect(await lines("flop", "2026-04")).toEqual({
      window: ["2026-04-01T00:00:00.000Z", "2026-05-01T00:00:00.000Z"],
      subtotal: 2_080,
      lines: [
        ["API calls: 100 × 0.0025 USD (plan basic, 2026-04-01T00:00:00Z to 2026-04-06T00:00:00Z)", 25],
        ["API calls: 50 × 0.001 USD (plan weekly, 2026-04-06T00:00:00Z to 2026-04-13T00:00:00Z)", 5],
        ["API calls: 200 × 0.0025 USD (plan basic, 2026-04-13T00:00:00Z to 2026-05-01T00:00:00Z)", 50],
        ["Monthly fee", 2_000],
      ],
    });
  });

  it("previews the current period of the interval of the plan held now", async () => {
    const current = async (id: string) => {
      const { period } = await hub.invoices.preview(id);
      return [period.from.toISOString(), period.to.toISOString()];
    };
    expect(await current("y_annual")).toEqual(["2027-01-01T00:00:00.000Z", "2028-01-01T00:00:00.000Z"]);
    expect(await current("w_weekly")).toEqual(["2027-01-11T00:00:00.000Z", "2027-01-18T00:00:00.000Z"]);
    expect(await current("m_basic")).toEqual(["2027-01-01T00:00:00.000Z", "2027-02-01T00:00:00.000Z"]);
    expect(await current("y_leap")).toEqual(["2026-02-28T00:00:00.000Z", "2027-02-28T00:00:00.000Z"]);
  });

  it("refuses a bad run period with its code, message and field, writing nothing", async () => {
    const before = (await store.query<{ n: number }>("SELECT count(*)::int AS n FROM invoices")).rows[0]!.n;
    await expect(hub.invoices.run({ period: "2026-W54" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "period" });
    await expect(hub.invoices.run({ period: "2027-W53" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "period", message: expect.stringContaining("2027, which has 52 ISO weeks") });
    await expect(hub.invoices.preview("y_annual", { period: "26" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "options.period" });
    await expect(hub.invoices.preview("y_annual", { period: "2026-05" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "options.period", message: expect.stringContaining("no monthly billing period") });
    expect((await store.query<{ n: number }>("SELECT count(*)::int AS n FROM invoices")).rows[0]!.n).toBe(before);
  });
});
